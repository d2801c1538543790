// `perfgate calibrate`: the same build measured as both A and B (interleaved, as A/B mode does),
// then how noisy each metric is, how many trials A/B mode needs to detect δ with 90 % power,
// and what the current settings can detect. Writes calibrate.md and calibrate.json.
import { runExitCode, type RunExitCode } from '../util/exit-codes.js';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { lookSchedule } from '../analysis/ab.js';
import { calibrate, type CalibrationRow } from '../analysis/calibration.js';
import { formatNumber } from '../analysis/format.js';
import { UsageError } from '../util/errors.js';
import { trialFigures } from '../contract/record.js';
import { prologue } from '../pipeline/prologue.js';
import { measureAb } from '../pipeline/measure-ab.js';
import { withSharedDependencies } from '../pipeline/measure.js';
import { type Progress } from '../util/progress.js';
import { code, md } from '../report/markdown.js';
import type { AbResult } from '../contract/result.js';

export interface CalibrateOptions {
  config: string;
  outDir: string;
  trials: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  progress?: Progress;
}

export interface CalibrateOutcome {
  rows: CalibrationRow[];
  ab: AbResult;
  markdown: string;
  files: { markdown: string; json: string };
  exitCode: RunExitCode;
}

export const POWER = 0.9;

export async function runCalibrate(opts: CalibrateOptions): Promise<CalibrateOutcome> {
  const { cwd, progress, config: loaded, outDir } = prologue(opts);
  if (!loaded.service.command) throw new UsageError('calibrate starts the service twice per batch: it needs service.command');
  if (opts.trials < 3) throw new UsageError('--trials must be at least 3');
  // The same build on both sides, a fixed number of trials, no early stop.
  const config = {
    ...loaded,
    baseline: { service: loaded.service },
    mode: 'ab' as const,
    ab: { ...loaded.ab, minTrials: opts.trials, maxTrials: opts.trials, step: opts.trials, budgetMs: Number.MAX_SAFE_INTEGER },
  };
  const ctx = {
    env: opts.env ?? process.env,
    runId: randomUUID(),
    serviceLog: join(outDir, 'calibrate-a.log'),
    signal: opts.signal,
    progress,
    display: (p: string) => relative(cwd, p) || p,
  };
  const measured = await withSharedDependencies(config, ctx, async (c, failure) => {
    if (failure) throw new UsageError(`a dependency could not be started: ${failure.message}\n${failure.logTail.join('\n')}`);
    return measureAb(config, { ...c, baseLog: join(outDir, 'calibrate-b.log') });
  });
  const figures = (scenarios: typeof measured.scenarios) => new Map(scenarios.map((s) => [s.name, s.trials.map(trialFigures)]));
  const looks = lookSchedule(loaded.ab.minTrials, loaded.ab.maxTrials, loaded.ab.step).length;
  const rows = calibrate(figures(measured.ab.base.scenarios), figures(measured.scenarios), {
    alpha: loaded.regression.alpha,
    looks,
    family: measured.ab.comparisons.length,
    power: POWER,
    maxTrials: loaded.ab.maxTrials,
    delta: loaded.regression.delta,
  });
  const markdown = render(rows, measured.ab, loaded.ab, loaded.regression.alpha, looks, relative(cwd, loaded.file) || loaded.file);
  const files = { markdown: join(outDir, 'calibrate.md'), json: join(outDir, 'calibrate.json') };
  writeFileSync(files.markdown, markdown);
  writeFileSync(files.json, `${JSON.stringify({ rows, ab: measured.ab, failure: measured.failure }, null, 2)}\n`);
  const exitCode = runExitCode({ verdict: 'pass', failure: measured.failure });
  return { rows, ab: measured.ab, markdown, files, exitCode };
}

function render(
  rows: CalibrationRow[],
  ab: AbResult,
  settings: { minTrials: number; maxTrials: number },
  alpha: number,
  looks: number,
  file: string,
): string {
  const pct = (f: number): string => `${formatNumber(f * 100, 1)} %`;
  const falseAlarms = ab.comparisons.filter((c) => c.outcome === 'regression').length;
  const lines = [
    `# perfgate calibration: ${code(file)}`,
    '',
    `The same build was measured as both A and B, interleaved (${md(ab.order)}), ${ab.trialsPerSide} trials per side. ` +
      `"Needed" is the number of trials per side for A/B mode to detect a change of δ with ${POWER * 100} % power at α = ${alpha}, ` +
      `split over ${looks} planned looks and Holm's correction over ${ab.comparisons.length} comparisons. ` +
      `"MDE" is the smallest change the current max-trials (${settings.maxTrials}) detects with the same power.`,
    '',
    '| Scenario | Metric | Trial-to-trial spread | δ | Trials needed per side | MDE at max-trials | Current settings |',
    '|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${md(r.scenario)} | ${r.metric} | ${pct(r.spread)} | ${pct(r.delta)} | ${r.needed} | ${pct(r.mdeAtMax)} | ${r.needed <= settings.maxTrials ? '✅ enough' : `❌ raise max-trials to ${r.needed} or δ`} |`,
    ),
    '',
    falseAlarms
      ? `⚠️ The A/A comparison reported ${falseAlarms} regression${falseAlarms === 1 ? '' : 's'} between identical builds: this machine is noisier than the statistics assume; raise the trial duration or lower the connections.`
      : 'The A/A comparison of identical builds reported no regression.',
    '',
  ];
  return lines.join('\n');
}
