// Flame graphs as self-contained HTML files (inline SVG, a few lines of script to zoom and
// search; nothing fetched), one per build and a differential one: the head's stacks coloured by
// how each frame's share of service CPU changed against the base (red grew, blue shrank). And
// the same stacks in speedscope's file format, for its viewer. Pure: text in, text out.
import type { ProfileFrame, StackProfile } from '../contract/profile.js';
import { functionKey, sampledWeight } from '../profile/stacks.js';
import { htmlText } from './markdown.js';

interface TreeNode {
  frame: ProfileFrame | null;
  weight: number;
  children: Map<string, TreeNode>;
}

function callTree(p: StackProfile): TreeNode {
  const root: TreeNode = { frame: null, weight: 0, children: new Map() };
  for (const s of p.stacks) {
    root.weight += s.weight;
    let node = root;
    for (const i of s.frames) {
      const f = p.frames[i]!;
      const key = functionKey(f);
      let child = node.children.get(key);
      if (!child) node.children.set(key, (child = { frame: f, weight: 0, children: new Map() }));
      child.weight += s.weight;
      node = child;
    }
  }
  return root;
}

/** Each call path's share of the sampled weight (path of function keys → share). */
function pathShares(p: StackProfile): Map<string, number> {
  const out = new Map<string, number>();
  const all = sampledWeight(p) || 1;
  const walk = (n: TreeNode, path: string): void => {
    for (const [key, c] of n.children) {
      const here = `${path}\u0001${key}`;
      out.set(here, c.weight / all);
      walk(c, here);
    }
  };
  walk(callTree(p), '');
  return out;
}

const esc = htmlText;

export const frameLabel = (f: ProfileFrame): string => `${f.name}${f.file ? ` (${f.file}${f.line ? `:${f.line}` : ''})` : ''}`;

function hue(name: string): string {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return `hsl(${10 + (h % 40)}, ${70 + (h % 20)}%, ${55 + (h % 15)}%)`;
}

/** Red for growth, blue for shrinkage, by percentage points of service CPU (saturating at ±10 pp). */
function diffColour(deltaPp: number): string {
  const t = Math.min(1, Math.abs(deltaPp) / 10);
  if (Math.abs(deltaPp) < 0.05) return 'hsl(0, 0%, 85%)';
  return deltaPp > 0 ? `hsl(0, ${40 + 50 * t}%, ${85 - 35 * t}%)` : `hsl(220, ${40 + 50 * t}%, ${85 - 35 * t}%)`;
}

export interface FlameGraphPage {
  title: string;
  subtitle: string;
  profile: StackProfile;
  /** Differential: the base's profile; frames are coloured by the change of their path's share. */
  base?: StackProfile;
}

const WIDTH = 1200;
const ROW = 18;

/** A flame graph page: root at the bottom, one rectangle per call path, tooltips with shares. */
export function flameGraphHtml(page: FlameGraphPage): string {
  const tree = callTree(page.profile);
  const all = tree.weight || 1;
  const baseShares = page.base ? pathShares(page.base) : null;
  const rects: { depth: number; x: number; w: number; label: string; tip: string; fill: string }[] = [];
  let maxDepth = 0;
  const walk = (n: TreeNode, x: number, depth: number, path: string): void => {
    let cx = x;
    const children = [...n.children.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    for (const [key, c] of children) {
      const w = (c.weight / all) * WIDTH;
      const here = `${path}\u0001${key}`;
      if (w >= 0.3) {
        const share = c.weight / all;
        const label = frameLabel(c.frame!);
        let tip = `${label}\n${(share * 100).toFixed(2)} % of sampled service CPU (${c.weight} samples)`;
        let fill = hue(c.frame!.name);
        if (baseShares) {
          const before = baseShares.get(here) ?? 0;
          const pp = (share - before) * 100;
          tip += `\nbase ${(before * 100).toFixed(2)} % → head ${(share * 100).toFixed(2)} % (${pp >= 0 ? '+' : ''}${pp.toFixed(2)} pp)`;
          fill = diffColour(pp);
        }
        rects.push({ depth, x: cx, w, label, tip, fill });
        maxDepth = Math.max(maxDepth, depth);
        walk(c, cx, depth + 1, here);
      }
      cx += w;
    }
  };
  walk(tree, 0, 0, '');
  const height = (maxDepth + 1) * ROW + 4;
  const svgRects = rects
    .map((r) => {
      const y = height - (r.depth + 1) * ROW;
      const chars = Math.floor((r.w - 6) / 7);
      const text = chars >= 3 ? (r.label.length > chars ? `${r.label.slice(0, chars - 1)}…` : r.label) : '';
      return `<g class="f" data-x="${r.x.toFixed(2)}" data-w="${r.w.toFixed(2)}" data-name="${esc(r.label)}"><title>${esc(r.tip)}</title><rect x="${r.x.toFixed(2)}" y="${y}" width="${Math.max(0.3, r.w - 0.5).toFixed(2)}" height="${ROW - 1}" fill="${r.fill}" rx="2"/><text x="${(r.x + 3).toFixed(2)}" y="${y + ROW - 5}">${esc(text)}</text></g>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc(page.title)}</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 16px; color: #222; }
svg text { font: 11px ui-monospace, monospace; pointer-events: none; }
g.f:hover rect { stroke: #000; stroke-width: 0.8; }
g.match rect { fill: #e040fb !important; }
#legend span { display: inline-block; width: 14px; height: 10px; margin: 0 4px 0 12px; }
</style>
</head>
<body>
<h1>${esc(page.title)}</h1>
<p>${esc(page.subtitle)}</p>
<p>${page.base ? '<span id="legend">colour: <span style="background:hsl(0,90%,50%)"></span>share grew <span style="background:hsl(220,90%,50%)"></span>share shrank <span style="background:hsl(0,0%,85%)"></span>unchanged</span> · ' : ''}Width: share of sampled service CPU; the root is at the bottom. Hover for figures; search: <input id="q" placeholder="function or file"> <span id="found"></span></p>
<svg id="flame" xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}">
${svgRects}
</svg>
<script>
const q = document.getElementById('q');
q.addEventListener('input', () => {
  const term = q.value.trim().toLowerCase();
  let n = 0;
  for (const g of document.querySelectorAll('g.f')) {
    const hit = term !== '' && g.dataset.name.toLowerCase().includes(term);
    g.classList.toggle('match', hit);
    if (hit) n++;
  }
  document.getElementById('found').textContent = term ? n + ' frames match' : '';
});
</script>
</body>
</html>
`;
}

/** The profile in speedscope's file format (https://www.speedscope.app/file-format-schema.json). */
export function speedscopeJson(name: string, p: StackProfile): string {
  const total = sampledWeight(p);
  return JSON.stringify({
    $schema: 'https://www.speedscope.app/file-format-schema.json',
    exporter: 'perfgate',
    name,
    activeProfileIndex: 0,
    shared: { frames: p.frames.map((f) => ({ name: f.name, ...(f.file ? { file: f.file } : {}), ...(f.line ? { line: f.line } : {}) })) },
    profiles: [
      {
        type: 'sampled',
        name,
        unit: 'none',
        startValue: 0,
        endValue: total,
        samples: p.stacks.map((s) => s.frames),
        weights: p.stacks.map((s) => s.weight),
      },
    ],
  });
}
