// The CLI adapter: argv → gate options; progress on stderr; a short verdict on stdout; exit code.
// 0 pass · 1 fail · 2 usage or config error · 3 internal error · 130 interrupted.
import { parseArgs } from 'node:util';
import { formatValue } from './analysis/format.js';
import { DEFAULT_CONFIG_FILE } from './config/load.js';
import { ConfigError, UsageError } from './errors.js';
import { runGate } from './gate.js';
import { streamProgress } from './progress.js';
import type { RunResult } from './result.js';
import { PERFGATE_VERSION } from './version.js';

export const DEFAULT_OUT_DIR = '.perfgate';

const HELP = `perfgate ${PERFGATE_VERSION}: a performance gate for HTTP services

Usage:
  perfgate run [--config perfgate.yml] [--out .perfgate]
      Start the service, load it, check the targets, write result.json and report.md.

Options:
  -c, --config FILE   config file (default: ${DEFAULT_CONFIG_FILE})
  -o, --out DIR       output directory (default: ${DEFAULT_OUT_DIR})
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
  if (command !== 'run' || rest.length) {
    complain(command ? `perfgate: unknown command "${[command, ...rest].join(' ')}"\n\n${HELP}` : HELP);
    return 2;
  }

  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!controller.signal.aborted) complain(`\nperfgate: ${signal} received: stopping the load and the service…`);
    controller.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const outcome = await runGate({
      config: args.values.config ?? DEFAULT_CONFIG_FILE,
      outDir: args.values.out ?? DEFAULT_OUT_DIR,
      signal: controller.signal,
      progress: streamProgress(io.stderr),
    });
    say(summaryText(outcome.result));
    return outcome.exitCode;
  } catch (err) {
    if (err instanceof ConfigError) {
      complain(`perfgate: invalid config\n${err.message}`);
      return 2;
    }
    if (err instanceof UsageError) {
      complain(`perfgate: ${err.message}`);
      return 2;
    }
    complain(`perfgate: internal error (a bug in perfgate, please report it): ${(err as Error).stack ?? String(err)}`);
    return 3;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

const MARK = {
  pass: 'PASS',
  fail: 'FAIL',
  unmeasured: 'NOT MEASURED',
} as const;

/** The plain-text verdict printed on stdout. */
export function summaryText(r: RunResult): string {
  const lines = [`${r.verdict === 'pass' ? 'PASSED' : 'FAILED'}: ${r.reason}`];
  for (const t of r.targets) {
    const measured = t.measured === null ? `not measured: ${t.note}` : `measured ${formatValue(t.measured, t.unit)}`;
    lines.push(`  ${MARK[t.status].padEnd(12)} ${t.name}${t.scenario ? ` (${t.scenario})` : ''}: ${t.expr}, ${measured}`);
  }
  lines.push(`Report: ${r.files.report}`, `Result: ${r.files.result}`);
  return lines.join('\n');
}
