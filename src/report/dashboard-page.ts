// The dashboard page: stored runs → one self-contained index.html (uPlot inlined).
import { readFileSync } from 'node:fs';
import type { HistoryRecord } from '../contract/record.js';
import { assetPath } from '../util/assets.js';
import { buildDashboardData } from './dashboard-data.js';
import { dashboardHtml } from './dashboard-html.js';

export function renderDashboard(records: readonly HistoryRecord[], title: string, url: string | null, now = new Date()): string {
  const js = readFileSync(assetPath('dist', 'vendor', 'uPlot.iife.min.js'), 'utf8');
  const css = readFileSync(assetPath('dist', 'vendor', 'uPlot.min.css'), 'utf8');
  return dashboardHtml(buildDashboardData(records, { title, repoUrl: url, now }), js, css);
}
