// The base build of an A/B run, made by perfgate itself: the base commit is resolved (a ref the
// user names, or `auto`: a pull request's base, else the merge-base with the default branch),
// checked out into a git worktree under the output directory (the user's work tree, index and
// HEAD are never touched), prepared with `baseline.setup`, and removed afterwards, also after a
// failure or Ctrl-C. A missing commit (actions/checkout fetches one) is fetched from origin.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { promisify } from 'node:util';
import type { ServiceConfig } from '../config/types.js';
import { withoutTokens } from '../service/launch.js';
import { gitInfo, readEventPayload } from '../history/git-info.js';

const run = promisify(execFile);

async function git(cwd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  const { stdout } = await run('git', args, { cwd, env, maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

async function gitOk(cwd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string | null> {
  try {
    return await git(cwd, args, env);
  } catch {
    return null;
  }
}

export interface BaseRef {
  /** What was asked for (`auto`, `main`, `HEAD~1`, a SHA). */
  ref: string;
  sha: string;
  /** How the commit was chosen, for the report. */
  why: string;
}

export type Resolved = { ok: true; base: BaseRef } | { ok: false; none: true; reason: string } | { ok: false; none: false; reason: string };

export async function repoRoot(dir: string): Promise<string | null> {
  return gitOk(dir, ['rev-parse', '--show-toplevel']);
}

/** The base commit for `ref`, or why there is none (a push to the default branch is a history run). */
export async function resolveBaseRef(ref: string, repo: string, env: NodeJS.ProcessEnv): Promise<Resolved> {
  if (ref !== 'auto') {
    const sha =
      (await commitOf(repo, ref)) ??
      (/^[0-9a-f]{7,40}$/i.test(ref) && (await fetchCommit(repo, ref, env)) ? await commitOf(repo, ref) : null);
    return sha
      ? { ok: true, base: { ref, sha, why: `baseline ${ref}` } }
      : { ok: false, none: false, reason: `the base ref "${ref}" is not a commit in this checkout${hint(env)}` };
  }
  const event = env.GITHUB_EVENT_NAME ?? '';
  const payload = readEventPayload(env);
  if (event === 'pull_request' || event === 'pull_request_target') {
    const base = payload?.pull_request?.base;
    if (base?.sha) return { ok: true, base: { ref, sha: base.sha, why: `the pull request's base (${base.ref ?? 'base branch'})` } };
  }
  if (event === 'workflow_run') {
    const pr = payload?.workflow_run?.pull_requests?.[0];
    if (pr?.base?.sha)
      return { ok: true, base: { ref, sha: pr.base.sha, why: `the pull request's base (${pr.base.ref ?? 'base branch'})` } };
  }
  const info = gitInfo(repo, env);
  if (event && info.onDefaultBranch)
    return { ok: false, none: true, reason: `a ${event} on the default branch is a history run, not an A/B` };
  // A local checkout: the merge-base of HEAD and the default branch.
  const head = await commitOf(repo, 'HEAD');
  for (const branch of ['origin/HEAD', 'main', 'master', 'origin/main', 'origin/master']) {
    if (!(await commitOf(repo, branch))) continue;
    const mb = await gitOk(repo, ['merge-base', 'HEAD', branch]);
    if (!mb) continue;
    if (mb === head) return { ok: false, none: true, reason: `HEAD is on ${branch} itself: nothing to compare it with, so a history run` };
    return { ok: true, base: { ref, sha: mb, why: `the merge-base of HEAD and ${branch}` } };
  }
  return {
    ok: false,
    none: false,
    reason: `no default branch found to compare with (tried origin/HEAD, main, master); name the base with --against REF or baseline.ref`,
  };
}

async function commitOf(repo: string, ref: string): Promise<string | null> {
  return gitOk(repo, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
}

/** Fetches one commit from origin with the checkout's own credentials (actions/checkout's extraheader). */
async function fetchCommit(repo: string, sha: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  return (await gitOk(repo, ['fetch', '--no-tags', '--quiet', '--depth=1', 'origin', sha], { ...env, GIT_TERMINAL_PROMPT: '0' })) !== null;
}

function hint(env: NodeJS.ProcessEnv): string {
  return env.GITHUB_ACTIONS ? ' (with actions/checkout, set fetch-depth: 0 so that the base commit is there)' : '';
}

export interface BaseCheckout {
  base: BaseRef;
  dir: string;
  setupLog: string | null;
  remove(): Promise<void>;
}

export type Prepared = { ok: true; checkout: BaseCheckout } | { ok: false; message: string; logTail: string[]; setupLog: string | null };

/** Checks the base commit out into OUT/base-worktree and runs `setup` there. */
export async function prepareBase(
  base: BaseRef,
  repo: string,
  outDir: string,
  setup: string | undefined,
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
): Promise<Prepared> {
  const dir = join(outDir, 'base-worktree');
  await removeWorktree(repo, dir);
  if (!(await commitOf(repo, base.sha)) && !(await fetchCommit(repo, base.sha, env)))
    return {
      ok: false,
      message: `the base commit ${base.sha.slice(0, 7)} is not in this checkout and could not be fetched from origin${hint(env) || ' (fetch it, or clone with full history)'}`,
      logTail: [],
      setupLog: null,
    };
  try {
    await git(repo, ['worktree', 'add', '--detach', '--quiet', dir, base.sha]);
  } catch (err) {
    return { ok: false, message: `git worktree add failed: ${(err as Error).message.trim()}`, logTail: [], setupLog: null };
  }
  // If perfgate dies without its finally blocks (a crash, a closed stdout), the worktree still goes.
  const onExit = (): void => removeWorktreeNow(repo, dir);
  process.once('exit', onExit);
  const checkout: BaseCheckout = {
    base,
    dir,
    setupLog: null,
    remove: async () => {
      process.off('exit', onExit);
      await removeWorktree(repo, dir);
    },
  };
  if (!setup) return { ok: true, checkout };
  const log = join(outDir, 'base-setup.log');
  checkout.setupLog = log;
  const code = await runSetup(setup, dir, log, env, signal);
  if (code === 0) return { ok: true, checkout };
  await checkout.remove();
  return {
    ok: false,
    message: signal?.aborted ? 'interrupted while preparing the base build' : `the base build's setup (${setup}) exited with ${code}`,
    logTail: tail(log, 20),
    setupLog: log,
  };
}

function runSetup(command: string, cwd: string, log: string, env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<number | string> {
  return new Promise((done) => {
    const fd = openSync(log, 'w');
    const child = spawn('sh', ['-c', command], { cwd, env: withoutTokens(env), detached: true, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const kill = (): void => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    };
    signal?.addEventListener('abort', kill, { once: true });
    child.on('error', (err) => done(err.message));
    child.on('exit', (code, sig) => {
      signal?.removeEventListener('abort', kill);
      done(code ?? `signal ${sig}`);
    });
  });
}

function tail(file: string, n: number): string[] {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n);
  } catch {
    return [];
  }
}

/** The same, synchronously, for the process's exit event. */
function removeWorktreeNow(repo: string, dir: string): void {
  for (const args of [
    ['worktree', 'remove', '--force', dir],
    ['worktree', 'prune'],
  ]) {
    try {
      execFileSync('git', args, { cwd: repo, stdio: 'ignore' });
    } catch {
      // best effort: the directory is removed below either way
    }
    if (args[1] === 'remove') rmSync(dir, { recursive: true, force: true });
  }
}

async function removeWorktree(repo: string, dir: string): Promise<void> {
  if (existsSync(dir)) await gitOk(repo, ['worktree', 'remove', '--force', dir]);
  rmSync(dir, { recursive: true, force: true });
  await gitOk(repo, ['worktree', 'prune']);
}

/** The service block moved into the checkout: a cwd inside the repository maps to the same place in the worktree. */
export function inCheckout(service: ServiceConfig, repo: string, worktree: string): ServiceConfig {
  const rel = relative(repo, service.cwd);
  if (rel.startsWith('..') || isAbsolute(rel)) return service;
  return { ...service, cwd: join(worktree, rel) };
}
