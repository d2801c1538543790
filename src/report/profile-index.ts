// OUT/profiles/index.html: one page linking every flame graph and speedscope file of the run,
// with each build's hottest functions. Self-contained; the files sit next to it.
import { basename } from 'node:path';
import type { ProfiledScenario } from '../contract/profile.js';
import { htmlText as esc } from './markdown.js';
import { perRequest as us, sharePct as pct, where } from './profile-view.js';

export function profileIndexHtml(name: string, why: string, scenarios: ProfiledScenario[]): string {
  const link = (file: string, text: string): string => `<a href="${esc(encodeURI(basename(file)))}">${esc(text)}</a>`;
  const sections = scenarios.map((sc) => {
    const sides = sc.sides.map((s) => {
      const files = s.files ? `${link(s.files.flameGraph, 'flame graph')} · ${link(s.files.speedscope, 'speedscope JSON')}` : '';
      const rows = s.top
        .map(
          (f) =>
            `<tr><td><code>${esc(f.name)}</code></td><td>${esc(where(f))}</td><td>${pct(f.selfShare)}</td><td>${us(f.selfUs)}</td><td>${pct(f.totalShare)}</td><td>${us(f.totalUs)}</td></tr>`,
        )
        .join('');
      return `<h3>${esc(s.side)} build</h3>
<p>${s.profiler ? `${esc(s.profiler)}, ${s.samples} samples. ${files}` : `No profile: ${esc(s.note ?? 'unknown')}`}${s.profiler && s.note ? ` (${esc(s.note)})` : ''}</p>
${rows ? `<table><tr><th>function</th><th>where</th><th>self</th><th>self / request</th><th>total</th><th>total / request</th></tr>${rows}</table>` : ''}`;
    });
    return `<h2>Scenario ${esc(sc.scenario)}</h2>
${sc.diffFile ? `<p>${link(sc.diffFile, 'differential flame graph (head against base)')}</p>` : ''}
${sides.join('\n')}`;
  });
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${esc(name)}: where the time went</title>
<style>body{font:14px system-ui,sans-serif;margin:16px;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}</style>
</head>
<body>
<h1>${esc(name)}: where the time went</h1>
<p>Profiled because ${esc(why)}. Shares are of the service's sampled CPU; time per request is the share times the measured CPU time per request.</p>
${sections.join('\n')}
</body>
</html>
`;
}
