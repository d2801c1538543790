// History stores: where runs are kept between CI jobs. Both keep one file per run (no shared
// file, so writers never conflict) and never delete or rewrite a file they cannot read.
import type { HistoryRecord } from '../contract/record.js';

export interface LoadResult {
  records: HistoryRecord[];
  /** One line per skipped file, naming it and saying why. */
  warnings: string[];
}

export interface HistoryStore {
  /** For messages and the report, e.g. `dir .perfgate/history` or `git origin perfgate-data`. */
  readonly label: string;
  load(): Promise<LoadResult>;
  /** Stores one run; returns where it went. */
  save(record: HistoryRecord): Promise<string>;
  /** Keeps the newest `keep` runs per config fingerprint; returns the ids removed. */
  prune(keep: number): Promise<string[]>;
  /** Stores a file next to the runs (the dashboard), where the store can; returns where. */
  publish?(files: { path: string; content: string }[], message: string): Promise<string>;
}

/** Ids to remove so that at most `keep` runs remain per fingerprint (oldest go first). */
export function pruneSelection(records: readonly HistoryRecord[], keep: number): HistoryRecord[] {
  const byFingerprint = new Map<string, HistoryRecord[]>();
  for (const r of records) {
    const list = byFingerprint.get(r.fingerprint) ?? [];
    list.push(r);
    byFingerprint.set(r.fingerprint, list);
  }
  const out: HistoryRecord[] = [];
  for (const list of byFingerprint.values()) {
    list.sort((a, b) => a.savedAt.localeCompare(b.savedAt) || a.id.localeCompare(b.id));
    out.push(...list.slice(0, Math.max(0, list.length - keep)));
  }
  return out;
}
