// `perfgate compare`: the analysis and the report without load. A finished run (result.json)
// against baseline runs given as history directories, record files or other result.json files.
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { analyzeRegressions, currentFromResult, REGRESSION_DEFAULTS, type RegressionSettings } from './analysis/regression.js';
import { decide } from './analysis/verdict.js';
import { UsageError } from './errors.js';
import { DirStore } from './history/dir-store.js';
import { parseRecord, type HistoryRecord } from './history/record.js';
import { writeOutputs } from './output.js';
import { loadTemplate } from './report/render.js';
import { buildView } from './report/view.js';
import type { RunResult } from './result.js';

export interface CompareOptions {
  baseline: string[];
  current: string;
  outDir: string;
  cwd?: string;
  settings?: RegressionSettings;
  template?: string;
}

export interface CompareOutcome {
  result: RunResult;
  report: string;
  exitCode: 0 | 1;
  files: { result: string; report: string };
  warnings: string[];
}

export async function runCompare(opts: CompareOptions): Promise<CompareOutcome> {
  const cwd = opts.cwd ?? process.cwd();
  const currentFile = resolve(cwd, opts.current);
  let current: RunResult;
  try {
    current = JSON.parse(readFileSync(currentFile, 'utf8')) as RunResult;
  } catch (err) {
    throw new UsageError(`--current ${opts.current}: cannot read a result.json (${(err as Error).message})`);
  }
  if (current.tool !== 'perfgate' || current.schemaVersion !== 1 || !current.config?.fingerprint) {
    throw new UsageError(`--current ${opts.current}: not a perfgate result.json of schema version 1 with a config fingerprint`);
  }
  const { records, warnings } = await loadBaselines(opts.baseline.map((b) => resolve(cwd, b)));
  const settings = opts.settings ?? REGRESSION_DEFAULTS;
  const regression = current.failure
    ? null
    : analyzeRegressions(records, currentFromResult(undefined, current), settings, `files: ${opts.baseline.join(', ')}`, warnings);
  const { verdict, reason } = decide(current.targets, current.failure, regression);
  const outDir = resolve(cwd, opts.outDir);
  mkdirSync(outDir, { recursive: true });
  const files = { result: join(outDir, 'result.json'), report: join(outDir, 'report.md') };
  const result: RunResult = {
    ...current,
    verdict,
    reason,
    regression,
    history: null,
    files: { ...current.files, result: files.result, report: files.report },
  };
  const report = (opts.template ? loadTemplate(opts.template) : loadTemplate())(buildView(result));
  writeOutputs(files, result, report);
  return { result, report, exitCode: verdict === 'pass' ? 0 : 1, files, warnings };
}

/** Records from directories (every *.json inside) and single files; unreadable ones become warnings. */
export async function loadBaselines(paths: string[]): Promise<{ records: HistoryRecord[]; warnings: string[] }> {
  const records: HistoryRecord[] = [];
  const warnings: string[] = [];
  for (const p of paths) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      throw new UsageError(`--baseline ${p}: no such file or directory`);
    }
    if (isDir) {
      const loaded = await new DirStore(p).load();
      records.push(...loaded.records);
      warnings.push(...loaded.warnings);
    } else {
      const parsed = parseRecord(readFileSync(p, 'utf8'));
      if (parsed.ok) records.push(parsed.record);
      else warnings.push(`skipped ${p}: ${parsed.reason}`);
    }
  }
  return { records, warnings };
}
