// The embedded default store: a directory with one JSON file per run, written atomically.
import { link, mkdir, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HistoryRecord } from '../contract/record.js';
import { parseRecord } from './read-record.js';
import { pruneSelection, type HistoryStore, type LoadResult } from './store.js';

export class DirStore implements HistoryStore {
  readonly label: string;

  constructor(
    readonly dir: string,
    label?: string,
  ) {
    this.label = `dir ${label ?? dir}`;
  }

  async load(): Promise<LoadResult> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter((n) => n.endsWith('.json')).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], warnings: [] };
      throw err;
    }
    const records: HistoryRecord[] = [];
    const warnings: string[] = [];
    const texts = await Promise.all(names.map((n) => readFile(join(this.dir, n), 'utf8').catch((e: Error) => e)));
    texts.forEach((text, i) => {
      const file = join(this.dir, names[i]!);
      if (text instanceof Error) {
        warnings.push(`skipped ${file}: ${text.message}`);
        return;
      }
      const parsed = parseRecord(text);
      if (parsed.ok) records.push(parsed.record);
      else warnings.push(`skipped ${file}: ${parsed.reason} (left in place)`);
    });
    return { records, warnings };
  }

  async save(record: HistoryRecord): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    const file = join(this.dir, `${record.id}.json`);
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(record)}\n`, { flag: 'wx' });
    // link() publishes the complete file atomically and, unlike rename(), refuses to replace one.
    try {
      await link(tmp, file);
    } finally {
      await unlink(tmp);
    }
    return file;
  }

  async prune(keep: number): Promise<string[]> {
    const { records } = await this.load();
    const doomed = pruneSelection(records, keep);
    for (const r of doomed) await rm(join(this.dir, `${r.id}.json`), { force: true });
    return doomed.map((r) => r.id);
  }
}
