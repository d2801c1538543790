// The two history steps of a gate run: compare with the stored runs, then (when the policy says
// so) store this run and prune. (The pipeline publishes the dashboard after a save.)
import { analyzeRegressions, type CurrentRun } from '../analysis/regression.js';
import type { RegressionSettings } from '../config/types.js';
import type { HistoryConfig } from '../config/types.js';
import type { Progress } from '../util/progress.js';
import type { HistoryInfo, RegressionAnalysis, RunResult } from '../contract/result.js';
import { saveDecision } from './policy.js';
import { recordFromResult, type HistoryRecord } from '../contract/record.js';
import type { HistoryStore } from './store.js';

export async function compareWithHistory(
  store: HistoryStore,
  current: CurrentRun,
  settings: RegressionSettings,
  progress: Progress,
  notes: readonly string[] = [],
): Promise<RegressionAnalysis> {
  let records: HistoryRecord[] = [];
  const warnings: string[] = [...notes];
  try {
    const loaded = await store.load();
    records = loaded.records;
    warnings.push(...loaded.warnings);
  } catch (err) {
    // Unreadable history is said out loud; with no runs every comparison is "insufficient baseline".
    warnings.push(`history could not be read from ${store.label}: ${(err as Error).message}`);
  }
  for (const w of warnings.slice(notes.length)) progress.info(`perfgate: warning: ${w}`);
  return analyzeRegressions(records, current, settings, store.label, warnings);
}

export interface RecordOptions {
  history: HistoryConfig;
  save: boolean | undefined;
}

export async function recordInHistory(store: HistoryStore, result: RunResult, o: RecordOptions, progress: Progress): Promise<HistoryInfo> {
  const decision = saveDecision(o.history.save, o.save, result.git, result.failure);
  const info: HistoryInfo = { store: store.label, saved: false, reason: decision.reason, location: null, pruned: 0 };
  if (decision.save) {
    try {
      info.location = await store.save(recordFromResult(result, new Date(), { publishesProfiles: Boolean(store.publish) }));
      info.saved = true;
      info.pruned = (await store.prune(o.history.keep)).length;
    } catch (err) {
      info.reason = info.saved ? `${info.reason}; pruning failed: ${(err as Error).message}` : `saving failed: ${(err as Error).message}`;
    }
  }
  progress.info(`perfgate: history (${store.label}): ${info.reason}${info.pruned ? `; pruned ${info.pruned} old run(s)` : ''}`);
  return info;
}
