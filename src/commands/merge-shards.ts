// `perfgate merge SHARD.json…` (and the Action's mode: merge): the shards of one run, checked to
// belong together, merged exactly into one run that the gate judges like any other.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, type Dirent } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { configFingerprint } from '../config/fingerprint.js';
import { type ConfigOverrides } from '../config/overrides.js';
import type { Config } from '../config/types.js';
import { UsageError } from '../util/errors.js';
import { finishRun, type GateOutcome } from '../pipeline/gate.js';
import { prologue } from '../pipeline/prologue.js';
import { decodeHistogram } from '../load/histogram.js';
import { mergeParallel, overlap } from '../load/merge.js';
import { scenarioResult, type Measurement } from '../pipeline/measure.js';
import { type Progress } from '../util/progress.js';
import type { ScenarioResult, ServiceWindow, ShardInfo, TrialResult } from '../contract/result.js';
import { MIN_OVERLAP, SHARD_KIND, SHARD_SCHEMA_VERSION, type ShardFile } from './shard.js';

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
  const { cwd, progress, config, template, outDir } = prologue(opts, { sendsLoad: false });
  const shards = readShards(opts.files.map((f) => resolve(cwd, f)));
  const problem = mergeProblem(shards, configFingerprint(config), config.file);
  if (problem) throw new UsageError(problem);
  const { measured, info } = mergeShards(
    config,
    shards.map((s) => s.shard),
  );
  for (const w of info.warnings) progress.info(`perfgate: warning: ${w}`);
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
