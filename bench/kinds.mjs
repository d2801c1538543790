// Kinds of slowdown, each a real commit on a service (bench/slowdown-kinds.mjs: the FastAPI +
// PostgreSQL + Redis example, a Node.js shop on PostgreSQL, a thread-per-connection Python
// server), judged as a pull request is: `runGate --against HEAD~1`, a duet with PostgreSQL per
// build and Redis shared, all started by perfgate. Each kind is replayed
// `--replays` times without and with a CPU-bound neighbour. Per kind: caught % (a gating
// regression proven in the kind's scenario), the metrics that decided, false fails (a docs-only
// commit failed), quiet rate (a docs-only commit ended with every gating comparison decided and
// nothing proven), median wall time. Writes bench/RESULTS-kinds.md.
//   npm run bench:kinds [-- --replays N] [-- --subject fastapi,node,threaded] [-- --only KEY,KEY]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runGate } from '../build/pipeline/gate.js';
import { silentProgress } from '../build/util/progress.js';
import { machine, ROOT, table } from './lib.mjs';
import { kindRepo, SUBJECTS } from './slowdown-kinds.mjs';

const arg = (name, fallback) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const REPLAYS = Number(arg('--replays', '5'));
const only = arg('--only', null)?.split(',');
const subjectKeys = arg('--subject', null)?.split(',');
const subjects = SUBJECTS.filter((s) => !subjectKeys || subjectKeys.includes(s.key));
const cases = subjects.flatMap((subject) => subject.kinds.filter((k) => !only || only.includes(k.key)).map((kind) => ({ subject, kind })));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function replay({ subject, kind }) {
  const dir = mkdtempSync(join(tmpdir(), 'perfgate-kinds-'));
  try {
    kindRepo(subject.dir, kind, dir);
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
      // How widely each latency's pairs scatter (sd of the log-ratios), which decides whether it gates.
      spreads: (ab?.comparisons ?? [])
        .filter((c) => (c.metric === 'p50' || c.metric === 'p95') && typeof c.spread === 'number')
        .map((c) => `${c.metric} of ${c.scenario} ±${(c.spread * 100).toFixed(1)} %`),
      // Memory each response left behind, head against base (bytes), with its interval: a leak's carrier.
      memory: (ab?.comparisons ?? [])
        .filter((c) => c.metric === 'memory_per_request')
        .map((c) => `${c.scenario} ${Math.round(c.change)} B (${Math.round(c.ci[0])} to ${Math.round(c.ci[1])})`),
      carrier: kind.scenario
        ? Object.fromEntries(
            [...kind.carriers, ...(kind.shown ?? [])].map((m) => [
              m,
              ab?.comparisons.find((c) => c.scenario === kind.scenario && c.metric === m)?.change ?? null,
            ]),
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
    for (const c of cases)
      for (let i = 0; i < REPLAYS; i++) {
        process.stderr.write(`kinds: ${c.subject.key} ${c.kind.key}, neighbour ${neighbour ? 'on' : 'off'}, replay ${i + 1}/${REPLAYS}\n`);
        const r = await replay(c);
        process.stderr.write(
          `  ${JSON.stringify({ caught: r.caught, proven: r.proven, pairs: r.pairs, wall: Math.round(r.wallS), memory: r.memory })}\n`,
        );
        results.push({ ...c, neighbour, ...r });
      }
  } finally {
    noise?.kill('SIGKILL');
  }
}

const pct = (n, d) => (d ? `${Math.round((n / d) * 100)} %` : '–');
const rows = [];
for (const { subject, kind } of cases)
  for (const neighbour of [false, true]) {
    // The docs-only kind is one object shared by every service: group by service too.
    const rs = results.filter((r) => r.subject === subject && r.kind === kind && r.neighbour === neighbour);
    const decided = {};
    for (const r of rs) for (const m of r.decidedBy) decided[m] = (decided[m] ?? 0) + 1;
    const changes = [...kind.carriers, ...(kind.shown ?? [])]
      .map((m) => {
        const xs = rs.map((r) => r.carrier[m]).filter((x) => typeof x === 'number');
        if (!xs.length) return null;
        const x = median(xs);
        // Memory per request is compared in bytes (head minus base), the rest as ratios.
        return m === 'memory_per_request'
          ? `${m} ${x >= 0 ? '+' : '−'}${Math.abs(Math.round(x))} B`
          : `${m} ${x >= 0 ? '+' : '−'}${Math.abs(Math.round(x * 100))} %`;
      })
      .filter(Boolean);
    rows.push([
      subject.name,
      kind.name,
      neighbour ? 'CPU-bound' : 'none',
      kind.scenario ? `${rs.filter((r) => r.exitCode === 1).length}/${rs.length}` : '–',
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

${machine()}. \`npm run bench:kinds -- --replays ${REPLAYS}${subjectKeys ? ` --subject ${subjectKeys.join(',')}` : ''}${only ? ` --only ${only.join(',')}` : ''}\` (${Math.round((Date.now() - started) / 60000)} min in all). Each kind is a real commit on
${subjects.map((s) => s.name).join(', ')} ([\`examples/fastapi-postgres\`](../examples/fastapi-postgres): FastAPI under gunicorn's
uvicorn workers; [\`fixtures/node-shop\`](../fixtures/node-shop); [\`fixtures/thread-per-request\`](../fixtures/thread-per-request);
PostgreSQL per build and Redis shared, all started by perfgate), judged as a pull request is (\`--against HEAD~1\`: a duet crossed over, 1 s trials,
looks at 6 to 12 pairs), ${REPLAYS} replays without and with a CPU-bound neighbour. "Caught on its carrier": a gating regression proven in the
kind's scenario on a metric that carries it (latency for a wait, CPU for work; "failed the PR" counts any gating regression, a side
effect in CPU included, since sampling stops at the first proof); "decided by": the gating metrics proven there; "median change": the median over
replays of each carrier's estimate (and of the database's own CPU per request, shown but not gating: the system's gates); a
docs-only commit's false fails (gate failed) and quiet rate (every gating comparison decided, nothing proven).

${table(['service', 'kind', 'neighbour', 'failed the PR', 'caught on its carrier', 'decided by', 'median change', 'false fails', 'quiet', 'median pairs', 'median wall'], rows)}

Per replay (proven regressions; pairs; wall):

${results
  .map(
    (r) =>
      `- ${r.subject.key} ${r.kind.key}, neighbour ${r.neighbour ? 'on' : 'off'}: ${r.failure ? `failed: ${r.failure}` : r.proven.join(', ') || 'nothing proven'}; ${r.pairs} pairs; ${Math.round(r.wallS)} s; latency gating in ${r.latencyGating.join(', ') || 'no scenario'}${r.kind.scenario ? '' : `; pairs scatter: ${r.spreads.join(', ')}`}; memory per request: ${r.memory.join(', ') || 'not read'}`,
  )
  .join('\n')}
`;
writeFileSync(
  join(ROOT, 'bench', `RESULTS-kinds${subjectKeys ? `-${subjectKeys.join('-')}` : ''}${only ? `-${only.join('-')}` : ''}.md`),
  md,
);
console.log(md);
