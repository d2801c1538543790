// Reading a stored record back: a record file, or a result.json migrated into a record on read.
import { RECORD_KIND, RECORD_SCHEMA_VERSION, recordFromResult, type HistoryRecord } from '../contract/record.js';
import type { RunResult } from '../contract/result.js';

export type ParsedRecord = { ok: true; record: HistoryRecord } | { ok: false; reason: string };

/**
 * Reads a stored record, or a result.json (a RunResult is migrated into a record on read), so
 * `perfgate compare --baseline` takes either. Anything else says why it was skipped.
 */
export function parseRecord(text: string): ParsedRecord {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `not JSON (${(err as Error).message})` };
  }
  if (!doc || typeof doc !== 'object') return { ok: false, reason: 'not a JSON object' };
  const d = doc as Record<string, unknown>;
  if (d.kind === RECORD_KIND) {
    if (d.schemaVersion !== RECORD_SCHEMA_VERSION) {
      return {
        ok: false,
        reason: `record schemaVersion ${String(d.schemaVersion)} is not known to this perfgate (knows ${RECORD_SCHEMA_VERSION}); upgrade perfgate`,
      };
    }
    const problem = recordProblem(d);
    return problem ? { ok: false, reason: problem } : { ok: true, record: d as unknown as HistoryRecord };
  }
  if (d.tool === 'perfgate' && d.schemaVersion === 1 && Array.isArray(d.scenarios)) {
    const r = d as unknown as RunResult;
    if (!r.config?.fingerprint || !r.runner)
      return { ok: false, reason: 'a result.json from before fingerprints were recorded: it cannot be matched to a config' };
    const record = recordFromResult(r, new Date(r.finishedAt));
    record.id = `result-${record.id}`;
    return { ok: true, record };
  }
  return { ok: false, reason: 'neither a perfgate history record nor a perfgate result.json' };
}

function recordProblem(d: Record<string, unknown>): string | undefined {
  for (const key of ['id', 'savedAt', 'fingerprint', 'runner'] as const) if (typeof d[key] !== 'string') return `missing "${key}"`;
  if (!Array.isArray(d.scenarios)) return 'missing "scenarios"';
  for (const s of d.scenarios as { name?: unknown; trials?: unknown }[]) {
    if (typeof s?.name !== 'string' || !Array.isArray(s.trials)) return 'a scenario without name or trials';
    for (const t of s.trials as Record<string, unknown>[]) {
      // Percentiles may be null (an import from a tool that does not report them), never absent.
      for (const k of ['p50', 'p95', 'p99', 'rps', 'attempts', 'errors'])
        if (typeof t?.[k] !== 'number' && !(k.startsWith('p') && t?.[k] === null)) return `a trial without a numeric "${k}"`;
    }
  }
  return undefined;
}
