// The CLI adapter: argv → gate options; progress on stderr; a short verdict on stdout; exit code.
// 0 pass · 1 fail · 2 usage or config error · 3 internal error · 130 interrupted.
import { errorExitCode } from '../util/exit-codes.js';
import { gatingOf } from '../analysis/compared-metrics.js';
import { noRegressionText } from '../report/comparison-view.js';
import { parseArgs } from 'node:util';
import { formatValue, signedChange } from '../analysis/format.js';
import { measuredText } from '../analysis/targets.js';
import { join } from 'node:path';
import { runCalibrate } from '../commands/calibrate.js';
import { runCheck } from '../commands/check.js';
import { parseOverrides, type ConfigOverrides, type OverrideTexts } from '../config/overrides.js';
import { runDashboard } from '../commands/dashboard.js';
import { runCompare } from '../commands/compare.js';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../config/load.js';
import { ConfigError, UsageError } from '../util/errors.js';
import { runRun } from '../commands/run.js';
import { runImport } from '../commands/import.js';
import { runMerge } from '../commands/merge-shards.js';
import { runShard } from '../commands/shard.js';
import { runHistory } from '../commands/history.js';
import { streamProgress } from '../util/progress.js';
import type { RunResult } from '../contract/result.js';
import { PERFGATE_VERSION } from '../util/version.js';

export const DEFAULT_OUT_DIR = '.perfgate';

const HELP = `perfgate ${PERFGATE_VERSION}: a performance gate for HTTP services

Usage:
  perfgate run [--config perfgate.yml] [--out .perfgate] [--save | --no-save]
      Start the service, load it, check the targets, compare with history,
      write result.json and report.md. Runs of the default branch are saved to history.
      Overrides for a quick run: --duration 2s, --connections N, --trials N, and
      --unjudgeable warn (targets these settings cannot judge pass with a warning).
      --profile: one more trial of each scenario under a sampling profiler (both builds
      with --against); the report says where the service's time went, with flame graphs
      in OUT/profiles/. Without it, an A/B run profiles itself when its gate fails.
  perfgate run --check [--strict] [--config FILE] [overrides]
      Only list the targets these settings cannot judge (too little load for a leak, too
      short trials for every connection, too few requests for a percentile) and the setting
      that would make each judgeable; nothing is started. Exit 0, or 2 with --strict.
  perfgate run --against REF [--config FILE] [--out DIR]
      "Is my branch slower than REF?": REF's build (e.g. main, HEAD~1, a SHA; auto: the
      merge-base with the default branch) is checked out into a git worktree under the out
      dir, prepared with baseline.setup, and measured against the work tree in pairs
      (A/B: both loaded at once where they can be). Your work tree, index and HEAD are not touched.
  perfgate run --shard I/N [--start-at ISO-TIME] [--config FILE] [--out DIR]
      Send share I of N of the load to the (external) service and write
      shard-I-of-N.json; one machine per shard, e.g. an Actions matrix.
      --start-at waits for a common start so that the shards load together.
  perfgate merge SHARD.json... [--config FILE] [--out DIR] [--save | --no-save]
      Merge the shards of one run (histograms added exactly) and gate the result.
  perfgate import --from k6|autocannon|locust FILE [--config FILE] [--out DIR] [--scenario NAME]
      Gate and report another tool's output (k6 handleSummary / --summary-export
      JSON, autocannon --json, Locust --csv PREFIX_stats.csv), marking the figures it
      cannot provide.
  perfgate compare --baseline <dir|file>... --current <result.json> [--out DIR] [--config FILE]
      The history comparison and the report for a finished run, without load.
  perfgate calibrate [--config FILE] [--trials K] [--out DIR]
      Measure the same build as both A and B: trial-to-trial noise per metric, the trials
      A/B mode needs to detect delta with 90 % power, and what the current settings detect.
  perfgate dashboard --history <dir|git[:branch]> [--out DIR]
      A self-contained HTML dashboard of the stored runs (index.html).
  perfgate history list [--config FILE]
  perfgate history prune [--keep N] [--config FILE]
      Show the stored runs, or keep only the newest N per config.

Options:
  -c, --config FILE   config file (default: ${DEFAULT_CONFIG_FILE})
  -o, --out DIR       output directory (default: ${DEFAULT_OUT_DIR})
      --save          save this run to history (never for a pull request)
      --no-save       do not save this run
  -h, --help          this help
  -v, --version       print the version

Exit codes: 0 passed · 1 failed (target breached, service crashed or never ready)
            2 usage or config error · 3 internal error · 130 interrupted
`;

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream;
}

export async function main(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const say = (s: string): void => void io.stdout.write(`${s}\n`);
  const complain = (s: string): void => void io.stderr.write(`${s}\n`);
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        out: { type: 'string', short: 'o' },
        save: { type: 'boolean' },
        'no-save': { type: 'boolean' },
        baseline: { type: 'string', multiple: true },
        current: { type: 'string' },
        keep: { type: 'string' },
        trials: { type: 'string' },
        history: { type: 'string' },
        shard: { type: 'string' },
        'start-at': { type: 'string' },
        against: { type: 'string' },
        duration: { type: 'string' },
        connections: { type: 'string' },
        unjudgeable: { type: 'string' },
        profile: { type: 'boolean' },
        check: { type: 'boolean' },
        strict: { type: 'boolean' },
        from: { type: 'string' },
        scenario: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (err) {
    complain(`perfgate: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  const [command, ...rest] = args.positionals;
  if (args.values.version) {
    say(PERFGATE_VERSION);
    return 0;
  }
  if (args.values.help) {
    say(HELP);
    return 0;
  }
  const v = args.values;
  if (command === 'compare' && !rest.length) return guarded(complain, () => compareCommand(v, say, complain));
  if (command === 'dashboard' && !rest.length) {
    return guarded(complain, async () => {
      if (!v.history) throw new UsageError('dashboard needs --history <dir|git[:branch]>');
      const r = await runDashboard({ history: v.history, outDir: v.out ?? join(DEFAULT_OUT_DIR, 'dashboard') });
      for (const w of r.warnings) complain(`perfgate: warning: ${w}`);
      say(`Dashboard of ${r.runs} stored run(s): ${r.file}`);
      return 0;
    });
  }
  if (command === 'calibrate' && !rest.length) return guarded(complain, () => calibrateCommand(v, say, complain, io.stderr));
  if (command === 'history' && rest.length === 1 && (rest[0] === 'list' || rest[0] === 'prune')) {
    return guarded(complain, async () => {
      for (const line of await runHistory(rest[0] as 'list' | 'prune', { config: v.config ?? DEFAULT_CONFIG_FILE, keep: v.keep }))
        say(line);
      return 0;
    });
  }
  if (command === 'merge') {
    return guarded(complain, async () => {
      if (!rest.length) throw new UsageError('merge needs the shard files: perfgate merge shard-*.json');
      const outcome = await runMerge({
        files: rest,
        config: v.config ?? DEFAULT_CONFIG_FILE,
        outDir: v.out ?? DEFAULT_OUT_DIR,
        save: saveFlag(v),
        progress: streamProgress(io.stderr),
      });
      say(summaryText(outcome.result));
      return outcome.exitCode;
    });
  }
  if (command === 'import') {
    return guarded(complain, async () => {
      if (rest.length !== 1 || !v.from)
        throw new UsageError('import needs --from k6|autocannon|locust and one file: perfgate import --from k6 summary.json');
      const outcome = await runImport({
        from: v.from,
        file: rest[0]!,
        config: v.config,
        scenario: v.scenario,
        outDir: v.out ?? DEFAULT_OUT_DIR,
        save: saveFlag(v),
        progress: streamProgress(io.stderr),
      });
      say(summaryText(outcome.result));
      return outcome.exitCode;
    });
  }
  if (command !== 'run' || rest.length) {
    complain(command ? `perfgate: unknown command "${[command, ...rest].join(' ')}"\n\n${HELP}` : HELP);
    return 2;
  }

  if (v.shard !== undefined && v.against !== undefined) {
    complain('perfgate: --against runs an A/B on this machine; it does not combine with --shard');
    return 2;
  }
  if (v.shard !== undefined) {
    return guarded(complain, () =>
      interruptible(complain, async (signal) => {
        const outcome = await runShard({
          shard: v.shard!,
          startAt: v['start-at'],
          config: v.config ?? DEFAULT_CONFIG_FILE,
          outDir: v.out ?? DEFAULT_OUT_DIR,
          signal,
          progress: streamProgress(io.stderr),
        });
        const s = outcome.shard;
        say(
          `${outcome.exitCode === 0 ? 'MEASURED' : 'FAILED'}: shard ${s.shard.index} of ${s.shard.count}${s.failure ? ` (${s.failure.message})` : ''}; merge the shards with perfgate merge\nShard: ${outcome.file}`,
        );
        return outcome.exitCode;
      }),
    );
  }
  if (v.check) {
    return guarded(complain, async () => {
      const r = runCheck({ config: v.config ?? DEFAULT_CONFIG_FILE, overrides: runOverrides(v) });
      for (const p of r.problems) say(`NOT JUDGEABLE: ${p}`);
      if (!r.problems.length) say(`OK: all ${r.targets} target${r.targets === 1 ? '' : 's'} can be judged with these settings`);
      return r.problems.length && v.strict ? 2 : 0;
    });
  }
  return guarded(complain, () =>
    interruptible(complain, async (signal) => {
      const outcome = await runRun({
        config: v.config ?? DEFAULT_CONFIG_FILE,
        outDir: v.out ?? DEFAULT_OUT_DIR,
        save: saveFlag(v),
        overrides: runOverrides(v),
        ...(v.against !== undefined ? { against: v.against } : {}),
        signal,
        progress: streamProgress(io.stderr),
      });
      say(summaryText(outcome.result));
      return outcome.exitCode;
    }),
  );
}

/** --duration, --connections, --trials and --unjudgeable for `run`: the Action's dispatch overrides. */
function runOverrides(v: Omit<OverrideTexts, 'profile'> & { profile?: boolean }): ConfigOverrides {
  return parseOverrides({ ...v, profile: v.profile ? 'on' : undefined }, (name) => `--${name}`);
}

/** --save / --no-save as the gate takes it: true, false, or undefined for the config's policy. */
function saveFlag(v: { save?: boolean; 'no-save'?: boolean }): boolean | undefined {
  if (v.save && v['no-save']) throw new UsageError('--save and --no-save contradict each other');
  return v.save ? true : v['no-save'] ? false : undefined;
}

/** Runs a command that loads a service; Ctrl-C or SIGTERM stops the load and the service, then it returns. */
async function interruptible(complain: (s: string) => void, command: (signal: AbortSignal) => Promise<number>): Promise<number> {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!controller.signal.aborted) complain(`\nperfgate: ${signal} received: stopping the load and the service…`);
    controller.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await command(controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

const MARK = {
  pass: 'PASS',
  fail: 'FAIL',
  unmeasured: 'NOT MEASURED',
  unjudged: 'NOT JUDGED',
} as const;

/** REGRESSION, IMPROVEMENT; a comparison outside regression.gate is marked as such. */
function outcomeWord(c: { outcome: string; gating?: boolean }): string {
  return c.gating === false ? `${c.outcome.toUpperCase()} (not gating)` : c.outcome.toUpperCase();
}

/** The plain-text verdict printed on stdout. */
export function summaryText(r: RunResult): string {
  const lines = [`${r.verdict === 'pass' ? 'PASSED' : 'FAILED'}: ${r.reason}`];
  for (const t of r.targets) {
    const measured =
      t.status === 'unjudged'
        ? `${t.note}${t.measured === null ? '' : ` (measured ${formatValue(t.measured, t.unit)})`}; to judge it: ${t.fix}`
        : t.measured === null
          ? `not measured: ${t.note}`
          : `measured ${measuredText(t)}`;
    lines.push(
      `  ${(t.interval?.notProven ? 'NOT PROVEN' : MARK[t.status]).padEnd(12)} ${t.name}${t.scenario ? ` (${t.scenario})` : ''}: ${t.expr}, ${measured}`,
    );
  }
  const reg = r.regression;
  if (reg) {
    const missing = reg.counts['insufficient baseline'];
    const gating = gatingOf(reg.comparisons).length;
    for (const c of reg.comparisons.filter((x) => x.outcome === 'regression' || x.outcome === 'improvement')) {
      const change = c.change === null ? '' : `${signedChange(c, c.change, true)} against the baseline`;
      lines.push(
        `  ${outcomeWord(c).padEnd(12)} ${c.metric} of ${c.scenario}: ${change}, adjusted p ${c.pAdjusted === null ? 'n/a' : c.pAdjusted.toPrecision(2)}`,
      );
    }
    for (const c of gatingOf(reg.comparisons).filter((x) => x.outcome === 'confident pass' && typeof x.upper === 'number'))
      lines.push(`  ${'PASS'.padEnd(12)} ${c.metric} of ${c.scenario}: ${noRegressionText(c, c.upper!)}`);
    if (missing === gating) lines.push(`  History: insufficient baseline (${reg.minRuns} comparable runs needed); not compared`);
    else
      lines.push(
        `  History: ${gating - missing} gating comparisons against ${reg.baseline.length} runs: ${reg.counts.regression} regressions, ${reg.counts.improvement} improvements, ${reg.counts['confident pass']} confident passes, ${reg.counts.inconclusive} inconclusive${missing ? `, ${missing} without baseline` : ''}`,
      );
  }
  if (r.ab) {
    for (const c of r.ab.comparisons.filter((x) => x.outcome === 'regression' || x.outcome === 'improvement'))
      lines.push(`  ${outcomeWord(c).padEnd(12)} ${c.sentence}`);
    for (const c of gatingOf(r.ab.comparisons).filter((x) => x.outcome === 'confident pass'))
      lines.push(`  ${'PASS'.padEnd(12)} ${c.metric} of ${c.scenario}: ${noRegressionText(c, c.ci[1])}`);
    const k = r.ab.counts;
    lines.push(
      `  A/B: ${r.ab.design === 'duet' ? `${r.ab.trialsPerSide} duet pairs` : `${r.ab.trialsPerSide} trials per side (${r.ab.order.length} blocks)`}, ${gatingOf(r.ab.comparisons).length} gating comparisons: ${k.regression} regressions, ${k.improvement} improvements, ${k['confident pass']} confident passes, ${k.inconclusive} inconclusive; ${r.ab.stoppedBecause}`,
    );
  }
  if (r.history) lines.push(`  ${r.history.reason}`);
  lines.push(`Report: ${r.files.report}`, `Result: ${r.files.result}`);
  return lines.join('\n');
}

type Values = { config?: string; out?: string; baseline?: string[]; current?: string; keep?: string; trials?: string; history?: string };

async function calibrateCommand(
  v: Values,
  say: (s: string) => void,
  complain: (s: string) => void,
  stderr: NodeJS.WriteStream,
): Promise<number> {
  const trials = v.trials === undefined ? 10 : Number(v.trials);
  if (!Number.isInteger(trials) || trials < 3) throw new UsageError(`--trials must be a whole number of at least 3, got "${v.trials}"`);
  return interruptible(complain, async (signal) => {
    const outcome = await runCalibrate({
      config: v.config ?? DEFAULT_CONFIG_FILE,
      outDir: v.out ?? DEFAULT_OUT_DIR,
      trials,
      signal,
      progress: streamProgress(stderr),
    });
    say(outcome.markdown);
    say(`Written: ${outcome.files.markdown}, ${outcome.files.json}`);
    return outcome.exitCode;
  });
}

/** Exit code and message for an error that escaped a command. */
function errorCode(err: unknown, complain: (s: string) => void): number {
  if (err instanceof ConfigError) complain(`perfgate: invalid config\n${err.message}`);
  else if (err instanceof UsageError) complain(`perfgate: ${err.message}`);
  else complain(`perfgate: internal error (a bug in perfgate, please report it): ${(err as Error).stack ?? String(err)}`);
  return errorExitCode(err);
}

async function guarded(complain: (s: string) => void, command: () => Promise<number>): Promise<number> {
  try {
    return await command();
  } catch (err) {
    return errorCode(err, complain);
  }
}

async function compareCommand(v: Values, say: (s: string) => void, complain: (s: string) => void): Promise<number> {
  if (!v.baseline?.length || !v.current) throw new UsageError('compare needs --baseline <dir|file>... and --current <result.json>');
  const config = v.config ? loadConfig(v.config) : undefined;
  const outcome = await runCompare({
    baseline: v.baseline,
    current: v.current,
    outDir: v.out ?? DEFAULT_OUT_DIR,
    settings: config?.regression,
    template: config?.report.template,
  });
  for (const w of outcome.warnings) complain(`perfgate: warning: ${w}`);
  say(summaryText(outcome.result));
  return outcome.exitCode;
}
