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

/**
 * The current run against the stored runs. `notes`: lines the report carries first among the
 * analysis' warnings (why stored-build fell back), already said by the step that made them; the
 * store's own warnings (unreadable history, skipped files) are said here.
 */
export async function compareWithHistory(
  store: HistoryStore,
  current: CurrentRun,
  settings: RegressionSettings,
  progress: Progress,
  notes: readonly string[] = [],
): Promise<RegressionAnalysis> {
  let records: HistoryRecord[] = [];
  const storeWarnings: string[] = [];
  try {
    const loaded = await store.load();
    records = loaded.records;
    storeWarnings.push(...loaded.warnings);
  } catch (err) {
    // Unreadable history is said out loud; with no runs every comparison is "insufficient baseline".
    storeWarnings.push(`history could not be read from ${store.label}: ${(err as Error).message}`);
  }
  for (const w of storeWarnings) progress.info(`perfgate: warning: ${w}`);
  return analyzeRegressions(records, current, settings, store.label, [...notes, ...storeWarnings]);
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
