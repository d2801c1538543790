// A run's files: result.json and report.md written, each replaced atomically (temp file + rename)
// so a reader never sees half a file; and result.json read back, checked against the schema
// version this perfgate writes.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { RESULT_SCHEMA_VERSION, type RunResult } from '../contract/result.js';
import { UsageError } from './errors.js';

export function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

export function writeOutputs(files: { result: string; report: string }, result: RunResult, report: string): void {
  writeAtomic(files.result, `${JSON.stringify(result, null, 2)}\n`);
  writeAtomic(files.report, report);
}

/**
 * Reads a result.json that a perfgate of this schema version wrote. `what` names where the file
 * came from in messages (e.g. 'input "result"', '--current x.json'); anything else is a UsageError.
 */
export function readResult(file: string, what: string): RunResult {
  let doc: Partial<RunResult>;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as Partial<RunResult>;
  } catch (err) {
    throw new UsageError(`${what}: cannot read ${file}: ${(err as Error).message}`);
  }
  if (doc?.tool !== 'perfgate' || doc.schemaVersion !== RESULT_SCHEMA_VERSION || !doc.config?.fingerprint)
    throw new UsageError(
      `${what}: ${file} is not a perfgate result.json of schema version ${RESULT_SCHEMA_VERSION} (written by this perfgate, with a config fingerprint)`,
    );
  return doc as RunResult;
}
