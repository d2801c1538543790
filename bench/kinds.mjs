// Kinds of slowdown, each a real commit on the FastAPI + PostgreSQL + Redis example
// (bench/slowdown-kinds.mjs), judged as a pull request is: `runGate --against HEAD~1`, a duet
// with PostgreSQL per build and Redis shared, all started by perfgate. Each kind is replayed
// `--replays` times without and with a CPU-bound neighbour. Per kind: caught % (a gating
// regression proven in the kind's scenario), the metrics that decided, false fails (a docs-only
// commit failed), quiet rate (a docs-only commit ended with every gating comparison decided and
// nothing proven), median wall time. Writes bench/RESULTS-kinds.md.
//   npm run bench:kinds [-- --replays N] [-- --only KEY,KEY]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runGate } from '../build/pipeline/gate.js';
import { silentProgress } from '../build/util/progress.js';
import { machine, ROOT, table } from './lib.mjs';
import { KINDS, kindRepo } from './slowdown-kinds.mjs';

const arg = (name, fallback) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const REPLAYS = Number(arg('--replays', '5'));
const only = arg('--only', null)?.split(',');
const EXAMPLE = join(ROOT, 'examples', 'fastapi-postgres');
const kinds = KINDS.filter((k) => !only || only.includes(k.key));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function replay(kind) {
  const dir = mkdtempSync(join(tmpdir(), 'perfgate-kinds-'));
  try {
    kindRepo(EXAMPLE, kind, dir);
    const started = Date.now();
    const o = await runGate({ config: 'perfgate.yml', outDir: '.perfgate', cwd: dir, against: 'HEAD~1', progress: silentProgress });
    const ab = o.result.ab;
    const gating = (ab?.comparisons ?? []).filter((c) => c.gating !== false);
    const proven = gating.filter((c) => c.outcome === 'regression');
    return {
      wallS: (Date.now() - started) / 1000,
      exitCode: o.exitCode,
      failure: o.result.failure?.message ?? null,
      caught: kind.scenario ? proven.some((c) => c.scenario === kind.scenario && kind.carriers.includes(c.metric)) : false,
      decidedBy: proven.filter((c) => c.scenario === kind.scenario).map((c) => c.metric),
      proven: proven.map((c) => `${c.metric} of ${c.scenario}`),
      quiet: proven.length === 0 && gating.every((c) => c.outcome !== 'inconclusive'),
      pairs: ab?.trialsPerSide ?? 0,
      latencyGating: gating.filter((c) => c.metric === 'p50' || c.metric === 'p95').map((c) => `${c.metric} of ${c.scenario}`),
      carrier: kind.scenario
        ? Object.fromEntries(
            kind.carriers.map((m) => [m, ab?.comparisons.find((c) => c.scenario === kind.scenario && c.metric === m)?.change ?? null]),
          )
        : {},
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const started = Date.now();
const results = [];
for (const neighbour of [false, true]) {
  const noise = neighbour ? spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }) : null;
  try {
    for (const kind of kinds)
      for (let i = 0; i < REPLAYS; i++) {
        process.stderr.write(`kinds: ${kind.key}, neighbour ${neighbour ? 'on' : 'off'}, replay ${i + 1}/${REPLAYS}\n`);
        const r = await replay(kind);
        process.stderr.write(`  ${JSON.stringify({ caught: r.caught, proven: r.proven, pairs: r.pairs, wall: Math.round(r.wallS) })}\n`);
        results.push({ kind, neighbour, ...r });
      }
  } finally {
    noise?.kill('SIGKILL');
  }
}

const pct = (n, d) => (d ? `${Math.round((n / d) * 100)} %` : '–');
const rows = [];
for (const kind of kinds)
  for (const neighbour of [false, true]) {
    const rs = results.filter((r) => r.kind === kind && r.neighbour === neighbour);
    const decided = {};
    for (const r of rs) for (const m of r.decidedBy) decided[m] = (decided[m] ?? 0) + 1;
    const changes = kind.carriers
      .map((m) => {
        const xs = rs.map((r) => r.carrier[m]).filter((x) => typeof x === 'number');
        return xs.length ? `${m} ${median(xs) >= 0 ? '+' : '−'}${Math.abs(Math.round(median(xs) * 100))} %` : null;
      })
      .filter(Boolean);
    rows.push([
      kind.name,
      neighbour ? 'CPU-bound' : 'none',
      kind.scenario ? `${rs.filter((r) => r.caught).length}/${rs.length} (${pct(rs.filter((r) => r.caught).length, rs.length)})` : '–',
      Object.entries(decided)
        .map(([m, n]) => `${m} ×${n}`)
        .join(', ') || '–',
      changes.join('; ') || '–',
      kind.scenario ? '–' : `${rs.filter((r) => r.exitCode !== 0).length}/${rs.length}`,
      kind.scenario ? '–' : `${rs.filter((r) => r.quiet).length}/${rs.length} (${pct(rs.filter((r) => r.quiet).length, rs.length)})`,
      `${median(rs.map((r) => r.pairs))}`,
      `${Math.round(median(rs.map((r) => r.wallS)))} s`,
    ]);
  }

const md = `# Kinds of slowdown: what the duet catches, and on which metric

${machine()}. \`npm run bench:kinds -- --replays ${REPLAYS}\` (${Math.round((Date.now() - started) / 60000)} min in all). Each kind is a real commit on
[\`examples/fastapi-postgres\`](../examples/fastapi-postgres) (FastAPI under gunicorn's uvicorn workers, PostgreSQL per build,
Redis shared, all started by perfgate), judged as a pull request is (\`--against HEAD~1\`: a duet crossed over, 1 s trials,
looks at 6 to 12 pairs), ${REPLAYS} replays without and with a CPU-bound neighbour. "Caught": a gating regression proven in the
kind's scenario on a metric that carries it; "decided by": the metrics proven there; "median change": the median over replays of
each carrier's estimate; a docs-only commit's false fails (gate failed) and quiet rate (every gating comparison decided,
nothing proven).

${table(['kind', 'neighbour', 'caught', 'decided by', 'median change', 'false fails', 'quiet', 'median pairs', 'median wall'], rows)}

Per replay (proven regressions; pairs; wall):

${results
  .map(
    (r) =>
      `- ${r.kind.key}, neighbour ${r.neighbour ? 'on' : 'off'}: ${r.failure ? `failed: ${r.failure}` : r.proven.join(', ') || 'nothing proven'}; ${r.pairs} pairs; ${Math.round(r.wallS)} s; latency gating in ${r.latencyGating.join(', ') || 'no scenario'}`,
  )
  .join('\n')}
`;
writeFileSync(join(ROOT, 'bench', `RESULTS-kinds${only ? `-${only.join('-')}` : ''}.md`), md);
console.log(md);
