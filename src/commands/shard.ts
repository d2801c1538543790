// Load from several machines: `perfgate run --shard i/n` measures its share of every scenario
// against one shared, external service and writes a shard file (histograms encoded, nothing
// about the service); `perfgate merge` checks that the shards belong together, merges them trial
// by trial (histograms added exactly, counts summed), states how far their trial windows
// overlapped, and hands one RunResult to the normal targets → history → report path.
import { runExitCode, type RunExitCode } from '../util/exit-codes.js';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { configFingerprint } from '../config/fingerprint.js';
import type { Config } from '../config/types.js';
import { describeEnvironment } from '../util/environment.js';
import { UsageError } from '../util/errors.js';
import { type GateOptions } from '../pipeline/gate.js';
import { prologue } from '../pipeline/prologue.js';
import { gitInfo } from '../history/git-info.js';
import { runnerClass } from '../history/runner.js';
import { shareOf } from '../load/processes.js';
import { measureOnce } from '../pipeline/measure.js';
import { type Progress } from '../util/progress.js';
import type { Environment, GitInfo, RunFailure, RunResult, ScenarioResult } from '../contract/result.js';

export const SHARD_KIND = 'perfgate-shard';
export const SHARD_SCHEMA_VERSION = 1;
/** Trials whose shards loaded together for less than this share of the shortest are called out. */
export const MIN_OVERLAP = 0.8;

export interface ShardFile {
  kind: typeof SHARD_KIND;
  schemaVersion: typeof SHARD_SCHEMA_VERSION;
  shard: { index: number; count: number };
  name: string;
  /** Fingerprint of the whole (unsharded) config: merge refuses shards of different configs. */
  fingerprint: string;
  configFile: string;
  startedAt: string;
  finishedAt: string;
  url: string;
  scenarios: ScenarioResult[];
  service: RunResult['service'];
  failure: RunFailure | null;
  environment: Environment;
  runner: string;
  git: GitInfo | null;
}

/** "2/4" → { index: 2, count: 4 }. */
export function parseShard(text: string): { index: number; count: number } {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count || count > 256)
    throw new UsageError(`--shard takes INDEX/COUNT with 1 ≤ INDEX ≤ COUNT, e.g. --shard 2/4; got "${text}"`);
  return { index, count };
}

/** The config one shard runs: every scenario's connections and rate split, shard `index` taking its part. */
export function shardConfig(config: Config, index: number, count: number): Config {
  if (config.service.command)
    throw new UsageError(
      `--shard loads one shared service from several machines, so the service must already be running: give service.url without service.command in ${config.file} (external-target mode), or use load.processes to split the load on one machine`,
    );
  const ramp = config.scenarios.find((s) => s.ramp);
  if (ramp)
    throw new UsageError(
      `scenario "${ramp.name}" is a stress ramp; ramps cannot be sharded (their steps would not line up across machines)`,
    );
  if (config.mode === 'ab') throw new UsageError('A/B mode measures two builds on one machine; it cannot be sharded');
  const thin = config.scenarios.find((s) => s.connections < count);
  if (thin) throw new UsageError(`scenario "${thin.name}" has ${thin.connections} connections, fewer than ${count} shards`);
  return { ...config, scenarios: config.scenarios.map((s) => shareOf(s, index - 1, count, s.processes)) };
}

export interface ShardOutcome {
  file: string;
  shard: ShardFile;
  exitCode: RunExitCode;
}

/** Longest wait for a common start time. */
export const MAX_START_WAIT_MS = 15 * 60_000;

/**
 * Waits until `startAt` (ISO-8601), so that shards started by separate jobs load together; a
 * time already past starts at once. Ends early when `signal` aborts.
 */
export async function waitUntil(startAt: string, progress: Progress, signal?: AbortSignal, now = Date.now()): Promise<void> {
  const at = Date.parse(startAt);
  if (!/^\d{4}-\d\d-\d\dT/.test(startAt) || Number.isNaN(at))
    throw new UsageError(`--start-at takes an ISO-8601 time such as 2026-11-26T12:00:00Z; got "${startAt}"`);
  const wait = at - now;
  if (wait > MAX_START_WAIT_MS)
    throw new UsageError(`--start-at ${startAt} is ${Math.round(wait / 60_000)} minutes away; at most 15 are allowed`);
  if (wait <= 0) {
    progress.info(
      `perfgate: warning: --start-at ${startAt} passed ${Math.round(-wait / 1000)} s ago; starting now, so this shard may not overlap the others`,
    );
    return;
  }
  progress.info(`perfgate: waiting ${Math.round(wait / 1000)} s for the common start at ${startAt}`);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, wait);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}

export async function runShard(opts: GateOptions & { shard: string; startAt?: string }): Promise<ShardOutcome> {
  const { index, count } = parseShard(opts.shard);
  let config!: Config;
  const {
    progress,
    config: sharded,
    outDir,
  } = prologue(opts, {
    shape: (c) => {
      config = c;
      return shardConfig(c, index, count);
    },
  });
  if (opts.startAt) await waitUntil(opts.startAt, progress, opts.signal);
  const startedAt = new Date();
  progress.info(
    `perfgate: shard ${index} of ${count}: ${sharded.scenarios.map((s) => `${s.name} ${s.connections} connections${s.rate ? ` at ${Math.round(s.rate * 100) / 100} req/s` : ''}`).join('; ')}`,
  );
  const measured = await measureOnce(sharded, {
    env: opts.env ?? process.env,
    runId: randomUUID(),
    serviceLog: null,
    signal: opts.signal,
    progress,
    display: (p) => p,
  });
  const environment = describeEnvironment(opts.env ?? process.env);
  const shard: ShardFile = {
    kind: SHARD_KIND,
    schemaVersion: SHARD_SCHEMA_VERSION,
    shard: { index, count },
    name: config.name,
    fingerprint: configFingerprint(config),
    configFile: basename(config.file),
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    url: measured.service.url,
    scenarios: measured.scenarios,
    service: measured.service,
    failure: measured.failure,
    environment,
    runner: runnerClass(environment),
    git: gitInfo(dirname(config.file), opts.env ?? process.env),
  };
  const file = join(outDir, `shard-${index}-of-${count}.json`);
  writeFileSync(file, `${JSON.stringify(shard, null, 2)}\n`);
  const exitCode = runExitCode({ verdict: 'pass', failure: measured.failure });
  return { file, shard, exitCode };
}
