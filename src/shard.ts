// Load from several machines: `perfgate run --shard i/n` measures its share of every scenario
// against one shared, external service and writes a shard file (histograms encoded, nothing
// about the service); `perfgate merge` checks that the shards belong together, merges them trial
// by trial (histograms added exactly, counts summed), states how far their trial windows
// overlapped, and hands one RunResult to the normal targets → history → report path.
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync, type Dirent } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { configFingerprint } from './config/fingerprint.js';
import { loadConfig } from './config/load.js';
import { applyOverrides, type ConfigOverrides } from './config/overrides.js';
import type { Config } from './config/types.js';
import { describeEnvironment } from './environment.js';
import { UsageError } from './errors.js';
import { finishRun, reportTemplate, type GateOptions, type GateOutcome } from './gate.js';
import { gitInfo } from './history/git-info.js';
import { runnerClass } from './history/runner.js';
import { fdProblem, readFdLimit } from './load/fd-limit.js';
import { decodeHistogram } from './load/histogram.js';
import { mergeParallel, overlap } from './load/merge.js';
import { shareOf } from './load/processes.js';
import { measureOnce, scenarioResult, type Measurement } from './measure.js';
import { silentProgress, type Progress } from './progress.js';
import type { Environment, GitInfo, RunFailure, RunResult, ScenarioResult, ServiceWindow, ShardInfo, TrialResult } from './result.js';

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
  exitCode: 0 | 1 | 130;
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
  const cwd = opts.cwd ?? process.cwd();
  const progress: Progress = opts.progress ?? silentProgress;
  const { index, count } = parseShard(opts.shard);
  const config = loadConfig(resolve(cwd, opts.config));
  const sharded = shardConfig(config, index, count);
  const fd = fdProblem(Math.max(...sharded.scenarios.map((s) => s.connections)), readFdLimit());
  if (fd) throw new UsageError(fd);
  const outDir = resolve(cwd, opts.outDir);
  mkdirSync(outDir, { recursive: true });
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
  const exitCode = measured.failure?.kind === 'aborted' ? 130 : measured.failure ? 1 : 0;
  return { file, shard, exitCode };
}

/** Shard files in a directory and the directories directly below it (where download-artifact puts each artifact). */
export function findShardFiles(dir: string): string[] {
  const found: string[] = [];
  const look = (d: string, depth: number): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      throw new UsageError(`${d}: no such directory of shard files`);
    }
    for (const e of entries) {
      if (e.isFile() && /^shard-\d+-of-\d+\.json$/.test(e.name)) found.push(join(d, e.name));
      else if (e.isDirectory() && depth > 0) look(join(d, e.name), depth - 1);
    }
  };
  look(dir, 1);
  if (!found.length) throw new UsageError(`${dir}: no shard-I-of-N.json files in it or in the directories below it`);
  return found.sort();
}

/** Reads shard files; anything that is not one names the file. */
export function readShards(files: string[]): { file: string; shard: ShardFile }[] {
  return files.map((file) => {
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new UsageError(`${file}: not a readable JSON file (${(err as Error).message})`);
    }
    const d = doc as Partial<ShardFile> | null;
    if (!d || d.kind !== SHARD_KIND) throw new UsageError(`${file}: not a perfgate shard file (write one with perfgate run --shard I/N)`);
    if (d.schemaVersion !== SHARD_SCHEMA_VERSION)
      throw new UsageError(
        `${file}: shard schemaVersion ${String(d.schemaVersion)} is not known to this perfgate (knows ${SHARD_SCHEMA_VERSION})`,
      );
    return { file, shard: d as ShardFile };
  });
}

/** Why these shards cannot be merged with this config, or undefined. */
export function mergeProblem(shards: { file: string; shard: ShardFile }[], fingerprint: string, configFile: string): string | undefined {
  if (!shards.length) return 'no shard files given';
  const first = shards[0]!;
  for (const s of shards) {
    if (s.shard.fingerprint !== first.shard.fingerprint)
      return `the shards come from different configs: ${s.file} has fingerprint ${s.shard.fingerprint}, ${first.file} has ${first.shard.fingerprint}`;
    if (s.shard.shard.count !== first.shard.shard.count)
      return `the shards come from different splits: ${s.file} is one of ${s.shard.shard.count}, ${first.file} one of ${first.shard.shard.count}`;
  }
  if (first.shard.fingerprint !== fingerprint)
    return `the shards were measured with a different config than ${configFile} (fingerprint ${first.shard.fingerprint}, the config's is ${fingerprint}): scenarios or load settings differ`;
  const n = first.shard.shard.count;
  const seen = new Map<number, string>();
  for (const s of shards) {
    const other = seen.get(s.shard.shard.index);
    if (other) return `shard ${s.shard.shard.index} of ${n} is given twice (${other} and ${s.file})`;
    seen.set(s.shard.shard.index, s.file);
  }
  const missing = Array.from({ length: n }, (_, i) => i + 1).filter((i) => !seen.has(i));
  if (missing.length)
    return `shard${missing.length === 1 ? '' : 's'} ${missing.join(', ')} of ${n} missing: a merge of part of the load would understate it`;
  return undefined;
}

/** The shards merged into one measurement (pure, apart from decoding histograms). */
export function mergeShards(config: Config, shards: ShardFile[]): { measured: Measurement; info: Omit<ShardInfo, 'files'> } {
  const ordered = [...shards].sort((a, b) => a.shard.index - b.shard.index);
  const warnings: string[] = [];
  const trialsInfo: ShardInfo['trials'] = [];
  const scenarios: ScenarioResult[] = [];
  for (const sc of config.scenarios) {
    const parts = ordered.map((s) => s.scenarios.find((x) => x.name === sc.name));
    if (parts.some((p) => !p)) {
      if (parts.some((p) => p)) warnings.push(`scenario "${sc.name}" is missing from some shards and was left out`);
      continue;
    }
    const k = Math.min(...parts.map((p) => p!.trials.length));
    if (parts.some((p) => p!.trials.length !== k))
      warnings.push(`scenario "${sc.name}": shards measured different numbers of trials; the first ${k} were merged`);
    const trials: TrialResult[] = [];
    for (let t = 0; t < k; t++) {
      const pieces = parts.map((p) => p!.trials[t]!);
      const o = overlap(pieces);
      trialsInfo.push({ scenario: sc.name, trial: t, ...o });
      if (o.overlapMs < MIN_OVERLAP * o.shortestMs)
        warnings.push(
          `trial ${t + 1} of "${sc.name}": the shards loaded together for ${Math.round(o.overlapMs)} of ${Math.round(o.shortestMs)} ms; their load did not coincide, so the merged figures mix load levels`,
        );
      trials.push({ ...mergeParallel(pieces), index: t });
    }
    const result = scenarioResult(
      sc,
      trials,
      trials.map((t) => decodeHistogram(t.histogram)),
      parts.find((p) => p!.interrupted)?.interrupted,
    );
    result.service = sumWindows(parts.map((p) => p!.service));
    scenarios.push(result);
  }
  const failed = ordered.find((s) => s.failure);
  const failure = failed
    ? { ...failed.failure!, message: `shard ${failed.shard.index} of ${failed.shard.count}: ${failed.failure!.message}` }
    : null;
  const runners = new Set(ordered.map((s) => s.runner));
  if (runners.size > 1) warnings.push(`the shards ran on different runner classes (${[...runners].join('; ')})`);
  const first = ordered[0]!;
  return {
    measured: {
      scenarios,
      failure,
      service: { ...first.service, ...sumWindows(ordered.map((s) => s.service)) },
      metrics: null,
    },
    info: { count: first.shard.count, trials: trialsInfo, warnings },
  };
}

/** Shards see one external service: no CPU or memory; uptime probes add up. */
function sumWindows(ws: ServiceWindow[]): ServiceWindow {
  const probes = ws.reduce((a, w) => a + (w.uptime?.probes ?? 0), 0);
  const up = ws.reduce((a, w) => a + (w.uptime?.up ?? 0), 0);
  return { cpu: null, memory: null, uptime: probes ? { probes, up, ratio: up / probes } : null };
}

export interface MergeOptions {
  files: string[];
  config: string;
  overrides?: ConfigOverrides;
  outDir: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  save?: boolean;
  progress?: Progress;
}

export async function runMerge(opts: MergeOptions): Promise<GateOutcome> {
  const cwd = opts.cwd ?? process.cwd();
  const config = applyOverrides(loadConfig(resolve(cwd, opts.config)), opts.overrides);
  const template = reportTemplate(config);
  const shards = readShards(opts.files.map((f) => resolve(cwd, f)));
  const problem = mergeProblem(shards, configFingerprint(config), config.file);
  if (problem) throw new UsageError(problem);
  const { measured, info } = mergeShards(
    config,
    shards.map((s) => s.shard),
  );
  const progress = opts.progress ?? silentProgress;
  for (const w of info.warnings) progress.info(`perfgate: warning: ${w}`);
  const outDir = resolve(cwd, opts.outDir);
  mkdirSync(outDir, { recursive: true });
  const startedAt = new Date(Math.min(...shards.map((s) => Date.parse(s.shard.startedAt))));
  const count = info.count;
  return finishRun(
    {
      config,
      cwd,
      env: opts.env ?? process.env,
      save: opts.save,
      progress,
      template,
      files: { result: join(outDir, 'result.json'), report: join(outDir, 'report.md'), serviceLog: null },
      startedAt,
      environment: shards[0]!.shard.environment,
      // Merged runs are compared only with merged runs of the same split.
      fingerprint: createHash('sha256')
        .update(`${configFingerprint(config)}|shards:${count}`)
        .digest('hex')
        .slice(0, 16),
      extra: {
        shards: { ...info, files: [...shards].sort((x, y) => x.shard.shard.index - y.shard.shard.index).map((s) => basename(s.file)) },
      },
    },
    measured,
  );
}
