// Where this run comes from: commit, branch, whether that is the default branch, and whether
// it is a pull request. From the GitHub Actions environment when present, else from git itself.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { GitInfo } from '../result.js';

function git(cwd: string, args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
  } catch {
    return null;
  }
}

export function gitInfo(cwd: string, env: NodeJS.ProcessEnv = process.env): GitInfo {
  const event = env.GITHUB_EVENT_NAME ?? null;
  const pullRequest = event === 'pull_request' || event === 'pull_request_target' || Boolean(env.GITHUB_HEAD_REF);
  const sha = env.GITHUB_SHA ?? git(cwd, ['rev-parse', 'HEAD']);
  let branch: string | null;
  if (env.GITHUB_HEAD_REF) branch = env.GITHUB_HEAD_REF;
  else if (env.GITHUB_REF?.startsWith('refs/heads/')) branch = env.GITHUB_REF.slice('refs/heads/'.length);
  else {
    const b = git(cwd, ['rev-parse', '--abbrev-ref', 'HEAD']);
    branch = b === 'HEAD' ? null : b;
  }
  const defaultBranch = defaultBranchName(cwd, env);
  return {
    sha,
    branch,
    defaultBranch,
    onDefaultBranch: !pullRequest && branch !== null && branch === defaultBranch,
    pullRequest,
    event,
  };
}

function defaultBranchName(cwd: string, env: NodeJS.ProcessEnv): string | null {
  if (env.GITHUB_EVENT_PATH) {
    try {
      const payload = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8')) as { repository?: { default_branch?: string } };
      if (payload.repository?.default_branch) return payload.repository.default_branch;
    } catch {
      // fall through to git
    }
  }
  if (env.PERFGATE_DEFAULT_BRANCH) return env.PERFGATE_DEFAULT_BRANCH;
  const head = git(cwd, ['symbolic-ref', '--short', 'refs/remotes/origin/HEAD']);
  if (head) return head.replace(/^origin\//, '');
  for (const candidate of ['main', 'master']) {
    if (git(cwd, ['rev-parse', '--verify', '--quiet', `refs/heads/${candidate}`])) return candidate;
  }
  return null;
}
