// `perfgate import`: another tool's output as a RunResult, so the gate can check targets on it,
// compare it with history and report it. What the tool's output holds is used as it is; what it
// does not hold is marked missing and becomes ❓, never a guess. Neither tool records per-trial
// figures or a histogram, so an import is one trial, and history treats it as one.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { loadConfig, parseConfig } from '../config/load.js';
import type { Config } from '../config/types.js';
import { UsageError } from '../util/errors.js';
import { finishRun, type GateOutcome } from '../pipeline/gate.js';
import { reportTemplate } from '../pipeline/prologue.js';
import type { Measurement } from '../pipeline/measure.js';
import { silentProgress, type Progress } from '../util/progress.js';
import type { ImportSource } from '../contract/result.js';
import { fromAutocannon, fromK6, fromLocust, importedScenario, type Imported } from '../load/imported.js';

export interface ImportOptions {
  from: string;
  file: string;
  config?: string;
  scenario?: string;
  outDir: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  save?: boolean;
  progress?: Progress;
}

/** Without a config: no targets, no history; the report says what the tool measured. */
function bareConfig(name: string, cwd: string): Config {
  return parseConfig(
    `name: ${JSON.stringify(name)}\nservice: { url: "http://127.0.0.1:1" }\nscenarios: [{ name: x, request: { path: / } }]\nhistory: { store: none }\n`,
    join(cwd, 'perfgate-import.yml'),
  );
}

function read(file: string, shown: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`${shown}: not readable (${(err as Error).message})`);
  }
}

function readJson(file: string, shown: string, from: 'k6' | 'autocannon'): Imported {
  let doc: unknown;
  try {
    doc = JSON.parse(read(file, shown));
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${shown}: not a readable JSON file (${(err as Error).message})`);
  }
  return from === 'k6' ? fromK6(doc) : fromAutocannon(doc);
}

/** PREFIX_stats.csv (or PREFIX), with PREFIX_failures.csv read when it is beside it. */
function readLocust(file: string, shown: string): Imported {
  const failures = file.replace(/_stats\.csv$/i, '_failures.csv');
  return fromLocust(read(file, shown), failures !== file && existsSync(failures) ? read(failures, failures) : undefined);
}

export async function runImport(opts: ImportOptions): Promise<GateOutcome> {
  const cwd = opts.cwd ?? process.cwd();
  if (opts.from !== 'k6' && opts.from !== 'autocannon' && opts.from !== 'locust')
    throw new UsageError(`--from takes k6, autocannon or locust, got "${opts.from}"`);
  const file = resolve(cwd, opts.from === 'locust' && !/\.csv$/i.test(opts.file) ? `${opts.file}_stats.csv` : opts.file);
  const x = opts.from === 'locust' ? readLocust(file, opts.file) : readJson(file, opts.file, opts.from);
  const loaded = opts.config ? loadConfig(resolve(cwd, opts.config)) : bareConfig(`${x.tool} import`, cwd);
  // The import stands for the config's first scenario unless told otherwise, so its targets apply.
  const name = opts.scenario ?? (opts.config ? loaded.scenarios[0]!.name : x.tool);
  // The config lends its targets, history and report settings; its scenarios were not run here.
  const config: Config = { ...loaded, scenarios: [], mode: 'history' };
  const stray = config.targets.find((t) => t.scenario !== undefined && t.scenario !== name);
  if (stray)
    throw new UsageError(
      `target "${stray.name}" is for scenario "${stray.scenario}", but the import is scenario "${name}" (set --scenario)`,
    );
  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ tool: x.tool, scenario: name, url: x.url, connections: x.connections }))
    .digest('hex')
    .slice(0, 16);
  const source: ImportSource = {
    tool: x.tool,
    file: basename(file),
    fingerprint,
    provides: x.provides,
    missing: x.missing,
    notes: x.notes,
  };
  const scenario = importedScenario(name, x);
  const measured: Measurement = {
    scenarios: [scenario],
    failure: null,
    service: {
      cpu: null,
      memory: null,
      uptime: null,
      mode: 'external',
      command: null,
      url: x.url ?? '(not in the file)',
      readyMs: null,
      exit: null,
      logFile: null,
      logTail: [],
    },
    metrics: null,
  };
  const outDir = resolve(cwd, opts.outDir);
  mkdirSync(outDir, { recursive: true });
  return finishRun(
    {
      config,
      cwd,
      env: opts.env ?? process.env,
      save: opts.save,
      progress: opts.progress ?? silentProgress,
      template: reportTemplate(config),
      files: { result: join(outDir, 'result.json'), report: join(outDir, 'report.md'), serviceLog: null },
      startedAt: x.startedAt ? new Date(x.startedAt) : new Date(),
      fingerprint,
      extra: { source },
    },
    measured,
  );
}
