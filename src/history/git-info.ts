// Where this run comes from: commit, branch, whether that is the default branch, and whether
// it is a pull request. From the GitHub Actions environment when present, else from git itself.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { GitInfo } from '../contract/result.js';

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
  const payload = readEventPayload(env);
  // For a pull request GITHUB_SHA is a merge commit nobody pushed; the head commit is what changed.
  const sha = (pullRequest ? payload?.pull_request?.head?.sha : undefined) ?? env.GITHUB_SHA ?? git(cwd, ['rev-parse', 'HEAD']);
  let branch: string | null;
  if (env.GITHUB_HEAD_REF) branch = env.GITHUB_HEAD_REF;
  else if (env.GITHUB_REF?.startsWith('refs/heads/')) branch = env.GITHUB_REF.slice('refs/heads/'.length);
  else {
    const b = git(cwd, ['rev-parse', '--abbrev-ref', 'HEAD']);
    branch = b === 'HEAD' ? null : b;
  }
  const defaultBranch = payload?.repository?.default_branch ?? defaultBranchName(cwd, env);
  // Scheduled workflows always run on the default branch.
  const onDefaultBranch = !pullRequest && ((branch !== null && branch === defaultBranch) || event === 'schedule');
  return {
    sha,
    branch,
    defaultBranch,
    onDefaultBranch,
    pullRequest,
    event,
    pullRequestNumber: pullRequest ? (payload?.pull_request?.number ?? payload?.number ?? null) : null,
  };
}

/** The parts of a GitHub event payload perfgate reads (pull_request, workflow_run, push, schedule…). */
export interface EventPayload {
  number?: number;
  pull_request?: { number?: number; head?: { sha?: string }; base?: { sha?: string; ref?: string } };
  workflow_run?: { pull_requests?: { base?: { sha?: string; ref?: string } }[] };
  repository?: { default_branch?: string };
}

/** The event payload at GITHUB_EVENT_PATH, or null when there is none or it cannot be read. The one reader of it. */
export function readEventPayload(env: NodeJS.ProcessEnv): EventPayload | null {
  if (!env.GITHUB_EVENT_PATH) return null;
  try {
    const parsed: unknown = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8'));
    return parsed !== null && typeof parsed === 'object' ? (parsed as EventPayload) : null;
  } catch {
    return null;
  }
}

function defaultBranchName(cwd: string, env: NodeJS.ProcessEnv): string | null {
  if (env.PERFGATE_DEFAULT_BRANCH) return env.PERFGATE_DEFAULT_BRANCH;
  const head = git(cwd, ['symbolic-ref', '--short', 'refs/remotes/origin/HEAD']);
  if (head) return head.replace(/^origin\//, '');
  for (const candidate of ['main', 'master']) {
    if (git(cwd, ['rev-parse', '--verify', '--quiet', `refs/heads/${candidate}`])) return candidate;
  }
  return null;
}

/** https://host/owner/repo for commit links, from Actions or from the origin remote. */
export function repoUrl(cwd: string, env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.GITHUB_REPOSITORY) return `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY}`;
  try {
    const url = execFileSync('git', ['remote', 'get-url', 'origin'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const ssh = /^git@([^:]+):(.+?)(\.git)?$/.exec(url);
    if (ssh) return `https://${ssh[1]}/${ssh[2]}`;
    const https = /^https?:\/\/(?:[^@/]+@)?([^/]+)\/(.+?)(\.git)?$/.exec(url);
    return https ? `https://${https[1]}/${https[2]}` : null;
  } catch {
    return null;
  }
}
