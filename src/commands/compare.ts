// `perfgate compare`: the analysis and the report without load. A finished run (result.json)
// against baseline runs given as history directories, record files or other result.json files.
import { runExitCode, type RunExitCode } from '../util/exit-codes.js';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { analyzeRegressions, currentFromResult } from '../analysis/regression.js';
import { REGRESSION_DEFAULTS, type RegressionSettings } from '../config/types.js';
import { decide } from '../analysis/verdict.js';
import { UsageError } from '../util/errors.js';
import { DirStore } from '../history/dir-store.js';
import type { HistoryRecord } from '../contract/record.js';
import { parseRecord } from '../history/read-record.js';
import { readResult, writeOutputs } from '../util/output.js';
import { loadTemplate } from '../report/render.js';
import { buildView } from '../report/view.js';
import type { RunResult } from '../contract/result.js';

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
  exitCode: RunExitCode;
  files: { result: string; report: string };
  warnings: string[];
}

export async function runCompare(opts: CompareOptions): Promise<CompareOutcome> {
  const cwd = opts.cwd ?? process.cwd();
  const currentFile = resolve(cwd, opts.current);
  const current = readResult(currentFile, `--current ${opts.current}`);
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
  return { result, report, exitCode: runExitCode({ verdict }), files, warnings };
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
