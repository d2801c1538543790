// The base build a run is measured against, chosen before anything starts: the ref the user
// names (`--against`, `baseline.ref`; `auto`: a pull request's base, else the merge-base), or, for
// a run without one under `regression.against: stored-build`, the commit of the newest stored run.
// The commit is checked out and prepared (base-build.ts); where there is none, or it cannot be
// prepared, the run is a history run, with the reason kept for the report. With the base, the
// stored duets' run-to-run lean (analysis/lean.ts), which the duet's tests count.
import { dirname } from 'node:path';
import { lastStoredBuild } from '../analysis/baseline.js';
import { runToRunLean, type LeanEvidence } from '../analysis/lean.js';
import { configFingerprint } from '../config/fingerprint.js';
import type { Config } from '../config/types.js';
import type { HistoryRecord } from '../contract/record.js';
import type { BaseBuildFailure } from '../contract/result.js';
import { gitInfo } from '../history/git-info.js';
import { openStore } from '../history/open.js';
import { runnerClass } from '../history/runner.js';
import { describeEnvironment } from '../util/environment.js';
import type { Progress } from '../util/progress.js';
import { inCheckout, prepareBase, repoRoot, resolveBaseRef, type BaseCheckout, type BaseRef } from './base-build.js';

/**
 * The config to run: with baseline.ref (or --against), the base commit checked out and prepared,
 * the base service moved into it; `auto` on a push to the default branch, or a base that could
 * not be prepared, gives a history run (the latter with the reason kept for the report).
 */
export async function baseBuild(
  config: Config,
  opts: { against?: string; signal?: AbortSignal },
  outDir: string,
  env: NodeJS.ProcessEnv,
  progress: Progress,
): Promise<BaseBuild> {
  const ref = opts.against ?? (config.mode === 'ab' ? config.baseline?.ref : undefined);
  if (!ref) return config.mode === 'history' ? ((await storedBuild(config, outDir, env, progress, opts.signal)) ?? { config }) : { config };
  const history = { ...config, mode: 'history' as const };
  const repo = await repoRoot(dirname(config.file));
  if (!repo)
    return {
      config: history,
      failure: {
        ref,
        sha: null,
        message: `the base build ${ref} needs a git checkout; ${dirname(config.file)} is not in one`,
        logTail: [],
        log: null,
      },
    };
  const resolved = await resolveBaseRef(ref, repo, env);
  if (!resolved.ok) {
    progress.info(`perfgate: no A/B: ${resolved.reason}`);
    if (resolved.none) return (await storedBuild(history, outDir, env, progress, opts.signal)) ?? { config: history };
    return { config: history, failure: { ref, sha: null, message: resolved.reason, logTail: [], log: null } };
  }
  const built = await checkoutBase(config, resolved.base, repo, outDir, env, progress, opts.signal);
  // A pull request's duet leans as a push's does: it reads the same stored duets.
  if (built.config.mode !== 'ab') return built;
  const lean = await leanOf(config, env, progress);
  return lean ? { ...built, lean } : built;
}

/**
 * How far the stored duets of this config and runner class leaned from run to run (lean.ts), for a
 * run against a base it names; none without a store, or where history cannot be read (said).
 */
async function leanOf(config: Config, env: NodeJS.ProcessEnv, progress: Progress): Promise<LeanEvidence | undefined> {
  const store = openStore(config.history, dirname(config.file));
  if (!store) return undefined;
  try {
    const { records } = await store.load();
    return runToRunLean(records, { fingerprint: configFingerprint(config), runner: runnerClass(describeEnvironment(env)) });
  } catch (err) {
    progress.info(`perfgate: warning: no run-to-run lean: history could not be read from ${store.label}: ${(err as Error).message}`);
    return undefined;
  }
}

/** What baseBuild gives the run: the config to measure, the base's checkout, why there is none, and whether the base is a stored run's build. */
export interface BaseBuild {
  config: Config;
  checkout?: BaseCheckout;
  failure?: BaseBuildFailure;
  /** The base is the build of the newest stored run (`regression.against: stored-build`): this run is stored as a history run. */
  stored?: boolean;
  /** Why a run under `regression.against: stored-build` is judged against the stored runs' figures instead (said in the report). */
  note?: string;
  /** How far the stored duets' estimates leaned from run to run (a base perfgate checked out, and a store to read). */
  lean?: LeanEvidence;
}

/**
 * `regression.against: stored-build`: a run without a base build of its own is measured against
 * the build of the newest stored run of its config and runner class; where there is none, against
 * the stored runs' figures, with the reason said (null: the setting is off).
 */
async function storedBuild(
  config: Config,
  outDir: string,
  env: NodeJS.ProcessEnv,
  progress: Progress,
  signal: AbortSignal | undefined,
): Promise<BaseBuild | null> {
  if (config.regression.against !== 'stored-build') return null;
  const store = openStore(config.history, dirname(config.file));
  const repo = await repoRoot(dirname(config.file));
  const fallback = (why: string): BaseBuild => {
    // The default setting has nothing to say where there is no build to take (a first run, a laptop without git).
    if (!config.regression.againstWritten) return { config };
    const note = `regression.against is stored-build, but ${why}: judged against the stored runs' figures`;
    progress.info(`perfgate: ${note}`);
    return { config, note };
  };
  if (!store) return fallback('history.store is none');
  // A service perfgate does not start (service.url alone) has no build to check out: both sides would load the same one.
  if (!config.service.command) return fallback('perfgate does not start the service (service.url without a command)');
  if (!repo) return fallback(`${dirname(config.file)} is not in a git checkout`);
  let records: HistoryRecord[];
  try {
    records = (await store.load()).records;
  } catch (err) {
    return fallback(`history could not be read from ${store.label}: ${(err as Error).message}`);
  }
  const current = { fingerprint: configFingerprint(config), runner: runnerClass(describeEnvironment(env)) };
  const found = lastStoredBuild(records, { ...current, sha: gitInfo(dirname(config.file), env).sha });
  if (!found.ok) return fallback(found.reason);
  const { sha } = found.record.git;
  const base = { ref: 'stored-build', sha, why: `the build of the newest stored run, ${found.record.startedAt.slice(0, 10)}` };
  // Judged at the stored build's levels (regression.storedBuild: α 0.01, β 0.05 unless the config sets them).
  const ab = {
    ...config,
    regression: { ...config.regression, ...config.regression.storedBuild },
    baseline: { ...config.baseline, service: config.service, ref: 'stored-build' },
  };
  // The stored duets before it say how far each comparison leans from run to run.
  return { ...(await checkoutBase(ab, base, repo, outDir, env, progress, signal)), stored: true, lean: runToRunLean(records, current) };
}

/** The base commit checked out and prepared, the base service moved into it (or why it could not be: a history run). */
async function checkoutBase(
  config: Config,
  base: BaseRef,
  repo: string,
  outDir: string,
  env: NodeJS.ProcessEnv,
  progress: Progress,
  signal: AbortSignal | undefined,
): Promise<BaseBuild> {
  const ref = base.ref;
  const history = { ...config, mode: 'history' as const };
  progress.info(`perfgate: base build: ${base.sha.slice(0, 7)} (${base.why}); checking it out under ${outDir}`);
  const prepared = await prepareBase(base, repo, outDir, config.baseline?.setup, env, signal);
  if (!prepared.ok) {
    progress.info(`perfgate: ${prepared.message}; measuring the head alone, against history`);
    return {
      config: history,
      failure: {
        ref,
        sha: base.sha,
        message: `the base build could not be measured: ${prepared.message}`,
        logTail: prepared.logTail,
        log: prepared.setupLog,
      },
    };
  }
  const service = inCheckout(config.baseline?.ref ? config.baseline.service : config.service, repo, prepared.checkout.dir);
  // The base build's own dependencies (a seed, a schema) come from its checkout too.
  const dependencies = config.dependencies.map((d) => ({ ...d, service: inCheckout(d.service, repo, prepared.checkout.dir) }));
  return {
    config: { ...config, mode: 'ab', baseline: { ...config.baseline, service, ref, dependencies } },
    checkout: prepared.checkout,
  };
}
