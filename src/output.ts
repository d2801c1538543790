// Writing a run's files: result.json and report.md, each replaced atomically (temp file + rename)
// so a reader never sees half a file.
import { renameSync, writeFileSync } from 'node:fs';
import type { RunResult } from './result.js';

export function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

export function writeOutputs(files: { result: string; report: string }, result: RunResult, report: string): void {
  writeAtomic(files.result, `${JSON.stringify(result, null, 2)}\n`);
  writeAtomic(files.report, report);
}
