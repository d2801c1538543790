// `perfgate history list|prune [--config FILE] [--keep N]`: what the config's history store holds,
// and pruning it to the newest N runs per config (never a corrupt file: those are skipped).
import { dirname } from 'node:path';
import { configFingerprint } from '../config/fingerprint.js';
import { loadConfig } from '../config/load.js';
import { openStore } from '../history/open.js';
import { UsageError } from '../util/errors.js';

export interface HistoryOptions {
  config: string;
  /** prune: runs to keep per config (default: the config's history.keep). */
  keep?: string;
}

/** Lines to print; throws UsageError when the config has no history or --keep is wrong. */
export async function runHistory(action: 'list' | 'prune', opts: HistoryOptions): Promise<string[]> {
  const out: string[] = [];
  const say = (line: string): void => void out.push(line);
  const v = opts;
  const config = loadConfig(opts.config);
  const store = openStore(config.history, dirname(config.file));
  if (!store) throw new UsageError(`history is off in ${config.file} (history.store: none)`);
  if (action === 'prune') {
    const keep = v.keep === undefined ? config.history.keep : Number(v.keep);
    if (!Number.isInteger(keep) || keep < 1) throw new UsageError(`--keep must be a whole number of at least 1, got "${v.keep}"`);
    const removed = await store.prune(keep);
    say(`${store.label}: removed ${removed.length} run(s), keeping at most ${keep} per config`);
    return out;
  }
  const { records, warnings } = await store.load();
  const fingerprint = configFingerprint(config);
  say(`${store.label}: ${records.length} stored run(s); * = same config as ${config.file}`);
  for (const r of [...records].sort((a, b) => a.startedAt.localeCompare(b.startedAt))) {
    const git = r.git ? `${r.git.branch ?? '(detached)'} ${r.git.sha?.slice(0, 7) ?? ''}`.trim() : '';
    say(
      `${r.fingerprint === fingerprint ? '*' : ' '} ${r.id}  ${r.startedAt}  ${r.verdict.padEnd(4)}  ${git}  ${r.scenarios.map((s) => s.name).join(', ')}`,
    );
  }
  for (const w of warnings) say(`warning: ${w}`);
  return out;
}
