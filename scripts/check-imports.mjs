// The import rule of src/: every import points down the flow (or stays in its own room), and no
// files import each other in a circle. Part of `npm run lint`; exits 1 naming each offence.
//
//   entry points (cli/, action/)  →  commands/  →  pipeline/  →  github/  →  report/  →  history/
//   →  analysis/  →  profile/  →  load/  →  service/  →  config/  →  util/  →  stats/, contract/, types/
//
// A room may import its own files and any room below it; never a room above it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src');

/** Rooms from the top of the flow down; rooms on one line share a level (and may not import each other). */
export const LAYERS = [
  ['cli', 'action'],
  ['commands'],
  ['pipeline'],
  ['github'],
  ['report'],
  ['history'],
  ['analysis'],
  ['profile'],
  ['load'],
  ['service'],
  ['config'],
  ['util'],
  ['stats', 'contract', 'types'],
];

function files(dir) {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : /\.ts$/.test(n) ? [p] : [];
  });
}

const levelOf = (room) => LAYERS.findIndex((l) => l.includes(room));

export function checkImports(src = SRC) {
  const roomOf = (file) => relative(src, file).split('/')[0];
  const problems = [];
  const graph = new Map();
  for (const file of files(src)) {
    const rel = relative(src, file);
    const room = roomOf(file);
    if (!rel.includes('/')) problems.push(`${rel}: the top of src/ holds only rooms (folders); put this file in one`);
    else if (levelOf(room) < 0) problems.push(`${rel}: src/${room}/ is no room of the flow (scripts/check-imports.mjs lists them)`);
    const text = readFileSync(file, 'utf8');
    const edges = [];
    // Named and type imports, re-exports, bare side-effect imports (`import '../x.js';`), and
    // dynamic `import('../x.js')`: each is a dependency. Dynamic imports are checked for direction
    // but not followed into circles (loading later is how a circle is broken on purpose).
    const found = [
      ...[...text.matchAll(/^(?:import|export)\s[^;]*?from\s+'(\.{1,2}\/[^']+)'/gms)].map((m) => [m[1], true]),
      ...[...text.matchAll(/^import\s+'(\.{1,2}\/[^']+)'/gm)].map((m) => [m[1], true]),
      ...[...text.matchAll(/\bimport\s*\(\s*'(\.{1,2}\/[^']+)'\s*\)/g)].map((m) => [m[1], false]),
    ];
    for (const [spec, follow] of found) {
      const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
      if (follow) edges.push(target);
      const to = roomOf(target);
      if (to !== room && levelOf(to) <= levelOf(room))
        problems.push(
          `${rel}: imports ${relative(src, target)} (${to}/ is ${levelOf(to) < levelOf(room) ? 'above' : 'beside'} ${room}/ in the flow)`,
        );
    }
    graph.set(file, edges);
  }
  // Circles: strongly connected components of more than one file (Tarjan).
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const on = new Set();
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const scc = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        scc.push(relative(src, w));
      } while (w !== v);
      if (scc.length > 1) problems.push(`import circle: ${scc.sort().join(' → ')}`);
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return problems;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const problems = checkImports(process.argv[2] ? resolve(process.argv[2]) : SRC);
  for (const p of problems) console.error(`check-imports: ${p}`);
  if (problems.length) process.exit(1);
  console.log('check-imports: every import points down the flow; no circles');
}
