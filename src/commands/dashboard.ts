// `perfgate dashboard --history <store> --out DIR`: stored runs → a self-contained index.html.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { repoUrl } from '../history/git-info.js';
import { storeFromSpec } from '../history/open.js';
import { renderDashboard } from '../report/dashboard-page.js';
import { UsageError } from '../util/errors.js';

export async function runDashboard(opts: {
  history: string;
  outDir: string;
  cwd?: string;
  title?: string;
}): Promise<{ file: string; runs: number; warnings: string[] }> {
  const cwd = opts.cwd ?? process.cwd();
  const store = storeFromSpec(opts.history, cwd);
  let loaded;
  try {
    loaded = await store.load();
  } catch (err) {
    throw new UsageError(`cannot read history from ${store.label}: ${(err as Error).message}`);
  }
  const html = renderDashboard(loaded.records, opts.title ?? 'perfgate dashboard', repoUrl(cwd));
  const outDir = resolve(cwd, opts.outDir);
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, 'index.html');
  writeFileSync(file, html);
  return { file, runs: loaded.records.length, warnings: loaded.warnings };
}
