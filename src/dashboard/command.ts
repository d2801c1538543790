// `perfgate dashboard --history <store> --out DIR`: stored runs → a self-contained index.html.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { assetPath } from '../assets.js';
import { UsageError } from '../errors.js';
import { DirStore } from '../history/dir-store.js';
import { GitStore } from '../history/git-store.js';
import type { HistoryRecord } from '../history/record.js';
import type { HistoryStore } from '../history/store.js';
import { buildDashboardData } from './data.js';
import { dashboardHtml } from './html.js';

/** `git`, `git:<branch>`, `dir:<path>` or a plain directory path. */
export function storeFromSpec(spec: string, cwd: string): HistoryStore {
  if (spec === 'git') return new GitStore({ cwd });
  const git = /^git:(.+)$/.exec(spec);
  if (git) return new GitStore({ cwd, branch: git[1]! });
  const dir = /^dir:(.+)$/.exec(spec);
  return new DirStore(resolve(cwd, dir ? dir[1]! : spec));
}

/** https://host/owner/repo for commit links, from Actions or from the origin remote. */
export function repoUrl(cwd: string, env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.GITHUB_REPOSITORY) return `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY}`;
  try {
    const url = execFileSync('git', ['remote', 'get-url', 'origin'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const ssh = /^git@([^:]+):(.+?)(\.git)?$/.exec(url);
    if (ssh) return `https://${ssh[1]}/${ssh[2]}`;
    const https = /^https?:\/\/(?:[^@/]+@)?([^/]+)\/(.+?)(\.git)?$/.exec(url);
    return https ? `https://${https[1]}/${https[2]}` : null;
  } catch {
    return null;
  }
}

export function renderDashboard(records: readonly HistoryRecord[], title: string, url: string | null, now = new Date()): string {
  const js = readFileSync(assetPath('dist', 'vendor', 'uPlot.iife.min.js'), 'utf8');
  const css = readFileSync(assetPath('dist', 'vendor', 'uPlot.min.css'), 'utf8');
  return dashboardHtml(buildDashboardData(records, { title, repoUrl: url, now }), js, css);
}

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
