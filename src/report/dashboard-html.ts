// The dashboard page: one self-contained HTML file (no CDN; uPlot inlined), data embedded as
// JSON that cannot close its script element, and every text set through textContent. Pure:
// the caller passes uPlot's code and CSS in.
import { htmlText } from './markdown.js';
import type { DashboardData } from './dashboard-data.js';

/** JSON safe inside <script>: no "</script>", no "<!--", no U+2028/2029 surprises. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const PAGE_SCRIPT = String.raw`
const data = JSON.parse(document.getElementById('perfgate-data').textContent);
const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; };
const when = (t) => new Date(t * 1000).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
const shaLink = (sha) => {
  if (!sha) return el('span', '(no commit)');
  if (!data.repoUrl) return el('code', sha.slice(0, 7));
  const a = el('a', sha.slice(0, 7)); a.href = data.repoUrl + '/commit/' + encodeURIComponent(sha); a.target = '_blank'; a.rel = 'noopener'; return a;
};
const xs = data.runs.map((r) => r.t);
const tip = document.getElementById('tooltip');
const regressionIdx = data.runs.map((r, i) => (r.regressions.length ? i : -1)).filter((i) => i >= 0);

function markers(changePoints) {
  return { hooks: { draw: [(u) => {
    const ctx = u.ctx; ctx.save();
    const line = (i, color, dash) => { const x = Math.round(u.valToPos(xs[i], 'x', true)); ctx.strokeStyle = color; ctx.setLineDash(dash); ctx.lineWidth = 2 * devicePixelRatio; ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke(); };
    for (const i of changePoints) line(i, '#8250df', [6 * devicePixelRatio, 4 * devicePixelRatio]);
    for (const i of regressionIdx) line(i, '#cf222e', []);
    ctx.restore();
  }] } };
}

function hover(series, unit) {
  return { hooks: { setCursor: [(u) => {
    const i = u.cursor.idx;
    if (i == null) { tip.hidden = true; return; }
    const r = data.runs[i];
    tip.replaceChildren();
    const head = el('div'); head.append(shaLink(r.sha), el('span', ' · ' + when(r.t) + (r.branch ? ' · ' + r.branch : '')));
    tip.append(head);
    series.forEach((s, k) => { const v = u.data[k + 1][i]; tip.append(el('div', s + ': ' + (v == null ? '–' : v + (unit ? ' ' + unit : '')))); });
    if (r.regressions.length) tip.append(el('div', 'regression: ' + r.regressions.join(', '), 'bad'));
    tip.hidden = false;
    const rect = u.over.getBoundingClientRect();
    tip.style.left = (rect.left + window.scrollX + u.cursor.left + 12) + 'px';
    tip.style.top = (rect.top + window.scrollY + u.cursor.top + 12) + 'px';
  }] } };
}

// Tick labels with as many decimals as the step needs (no two alike, none rounded off its
// value), the unit beside each; the labels drawn are kept on the chart's box (data-y-ticks).
function tickLabels(box, unit) {
  return (u, splits, axisIdx, space, incr) => {
    let d = 0;
    while (d < 12 && !splits.every((v) => Math.abs(Number(v.toFixed(d)) - v) <= Math.abs(incr) * 1e-6)) d++;
    const labels = splits.map((v) => v.toFixed(d) + (unit ? (unit === '%' ? ' %' : ' ' + unit) : ''));
    box.dataset.yTicks = JSON.stringify(labels);
    return labels;
  };
}

function chart(target, title, series, unit, columns, changePoints) {
  const box = el('section', undefined, 'chart'); box.append(el('h3', unit ? title + ' (' + unit + ')' : title)); target.append(box);
  box.dataset.unit = unit;
  const colors = ['#1a7f37', '#0969da', '#bf8700', '#8250df'];
  // Percentages on 0–100; other scales from their data.
  const y = unit === '%' ? { range: (u, min, max) => [0, Math.max(100, max == null ? 100 : max)] } : {};
  new uPlot({
    width: Math.min(1100, document.body.clientWidth - 40), height: 260,
    scales: { x: { time: true }, y },
    series: [{}, ...series.map((label, k) => ({ label, stroke: colors[k % colors.length], width: 1.5, spanGaps: true, points: { show: xs.length <= 60 } }))],
    axes: [{}, { label: unit, values: tickLabels(box, unit), size: 70 }],
    plugins: [markers(changePoints), hover(series, unit)],
  }, [xs, ...columns], box);
}

document.getElementById('subtitle').textContent = data.runs.length + ' runs of one config (' + data.fingerprint + ') on ' + data.runner + (data.omitted ? '; ' + data.omitted + ' runs of other configs or runners left out' : '') + '. Generated ' + data.generatedAt + '.';
const charts = document.getElementById('charts');
if (!data.runs.length) charts.append(el('p', 'No stored runs yet.'));
for (const s of data.scenarios) {
  const h = el('h2', s.name); charts.append(h);
  if (s.capacity) chart(charts, 'Capacity (stress ramp)', ['capacity'], 'req/s', [s.capacity], []);
  else {
    chart(charts, 'Latency', ['p50', 'p95', 'p99'], 'ms', [s.p50, s.p95, s.p99], s.changePoints);
    chart(charts, 'Throughput', ['req/s'], 'req/s', [s.rps], s.changePoints);
  }
  for (const m of s.metrics) chart(charts, m.name, [m.name], m.unit, [m.values], []);
}
if (data.runs.length && data.service.cpu.some((v) => v != null)) {
  charts.append(el('h2', 'Service'));
  chart(charts, 'CPU, mean share of one core', ['cpu'], '%', [data.service.cpu], []);
  chart(charts, 'Memory (peak RSS)', ['memory'], 'MB', [data.service.memoryMb], []);
  if (data.service.growthMbPerMin.some((v) => v != null)) chart(charts, 'Memory growth (RSS slope)', ['growth'], 'MB/min', [data.service.growthMbPerMin], []);
}
const last = data.runs.length - 1;
if (last >= 0) {
  const t = document.getElementById('latest');
  const cap = el('caption'); cap.append(el('span', 'Latest run: '), shaLink(data.runs[last].sha), el('span', ' · ' + when(data.runs[last].t) + ' · ' + data.runs[last].verdict)); t.append(cap);
  const hr = el('tr'); for (const c of ['Scenario', 'p50 (ms)', 'p95 (ms)', 'p99 (ms)', 'req/s']) hr.append(el('th', c)); t.append(hr);
  for (const s of data.scenarios) { const tr = el('tr'); for (const v of [s.name, s.p50[last], s.p95[last], s.p99[last], s.rps[last]]) tr.append(el('td', v == null ? '–' : String(v))); t.append(tr); }
}
// Where the time went: the flame graphs of profiled runs, newest first.
const profiled = data.runs.filter((r) => r.profiles.length).reverse().slice(0, 20);
if (profiled.length) {
  const box = document.getElementById('profiles');
  box.append(el('h2', 'Flame graphs of profiled runs'));
  const list = el('ul');
  for (const r of profiled) {
    const li = el('li'); li.append(shaLink(r.sha), el('span', ' · ' + when(r.t) + ': '));
    r.profiles.forEach((p, i) => { const a = el('a', p.scenario); a.href = p.page; if (i) li.append(el('span', ', ')); li.append(a); });
    list.append(li);
  }
  box.append(list);
}
`;

export function dashboardHtml(data: DashboardData, uplotJs: string, uplotCss: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${htmlText(data.title)}</title>
<style>${uplotCss}</style>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 20px; color: #1f2328; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { margin: 28px 0 4px; font-size: 18px; } h3 { margin: 8px 0; font-size: 14px; color: #59636e; }
#subtitle { color: #59636e; margin: 0 0 12px; }
.legend-key { display: inline-block; width: 18px; border-top: 3px solid; margin: 0 4px 3px 12px; vertical-align: middle; }
#tooltip { position: absolute; background: #fff; border: 1px solid #d1d9e0; border-radius: 6px; padding: 6px 8px; pointer-events: auto; box-shadow: 0 2px 8px #0002; font-size: 12px; }
.bad { color: #cf222e; } table { border-collapse: collapse; margin-top: 24px; } td, th { border: 1px solid #d1d9e0; padding: 4px 8px; text-align: right; } td:first-child, th:first-child { text-align: left; } caption { text-align: left; margin-bottom: 6px; font-weight: 600; }
</style>
</head>
<body>
<h1>${htmlText(data.title)}</h1>
<p id="subtitle"></p>
<p><span class="legend-key" style="border-color:#cf222e"></span>a run that found a regression <span class="legend-key" style="border-color:#8250df;border-top-style:dashed"></span>a level shift (change point in p95)</p>
<div id="charts"></div>
<table id="latest"></table>
<div id="profiles"></div>
<div id="tooltip" hidden></div>
<script id="perfgate-data" type="application/json">${scriptJson(data)}</script>
<script>${uplotJs}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
