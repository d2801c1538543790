// perfgate's exit codes, decided in one place for every command and both doors:
// 0 pass · 1 fail (a target breached, a regression proven, the run failed) · 2 usage or config
// error · 3 internal error (a bug) · 130 interrupted (Ctrl-C, SIGTERM).
import { ConfigError, UsageError } from './errors.js';

export type RunExitCode = 0 | 1 | 3 | 130;

/** A finished (or cut-short) run: interrupted, then perfgate's own fault (its report still written), then failed, then passed. */
export function runExitCode(run: { verdict: 'pass' | 'fail'; failure?: { kind: string } | null }): RunExitCode {
  if (run.failure?.kind === 'aborted') return 130;
  if (run.failure?.kind === 'internal') return 3;
  return run.verdict === 'pass' && !run.failure ? 0 : 1;
}

/** An error thrown before or outside a run: the user's to fix (2), or perfgate's (3). */
export function errorExitCode(err: unknown): 2 | 3 {
  return err instanceof ConfigError || err instanceof UsageError ? 2 : 3;
}
