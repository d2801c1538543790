// History mode under `regression.against: stored-build`, replayed as a push to the default branch
// makes it: a git repository of a service (the demo: the one scenario bench:history measures, GET
// /api/products at 8 connections; or `--service gunicorn`: gunicorn + Flask, 2 sync workers, GET
// /items at 4 connections, Connection: close), its first commit stored in a dir store as the last
// stored run, and a second commit that is one of the builds bench:history judges (unchanged: a
// docs-only commit; +10 % and +20 % handler CPU; a 2 ms wait per request, each a change of the
// code's default). perfgate measures the second commit against the stored commit's build, side by side,
// and stores it. Per build and neighbour (a CPU-bound process beside the run, or none): how often
// the gate failed, how often a gating regression was proven, confident passes among the gating
// comparisons, pairs and wall time. Writes bench/RESULTS-history-stored-build.md (every service
// measured) and bench/data/history-stored-build.json (runs of other services kept).
// `--alpha A --beta B` sets the gate's levels (regression.alpha, regression.beta; the defaults
// otherwise): rows are kept apart per level. The file's part from "## What it shows" on is written
// by hand and kept when the tables are rewritten.
//   npm run bench:history-stored-build [-- --service demo|gunicorn] [-- --replays N] [-- --neighbour on|off|both] [-- --only KEY,KEY] [-- --alpha A] [-- --beta B] [-- --append] [-- --report-only]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../build/config/load.js';
import { configFingerprint } from '../build/config/fingerprint.js';
import { gitInfo } from '../build/history/git-info.js';
import { openStore } from '../build/history/open.js';
import { runnerClass } from '../build/history/runner.js';
import { runGate } from '../build/pipeline/gate.js';
import { describeEnvironment } from '../build/util/environment.js';
import { silentProgress } from '../build/util/progress.js';
import { benchRepo, DEMO, machine, median, rateText, ROOT, table } from './lib.mjs';

const FLASK = join(ROOT, 'fixtures', 'flask-hash-app', 'app.py');

const arg = (name, fallback) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const REPLAYS = Number(arg('--replays', '5'));
const NEIGHBOUR = { on: [true], off: [false], both: [false, true] }[arg('--neighbour', 'both')];
const only = arg('--only', null)?.split(',');
const SERVICE = arg('--service', 'demo');
const ALPHA = arg('--alpha', null);
const BETA = arg('--beta', null);
/** Pushes in a row before the build (`--sequence N`): each docs-only, each stored; 0: one push per replay. */
const SEQUENCE = Number(arg('--sequence', '0'));
/** The gate's levels of a run: the defaults (α 0.05, β = α) unless it says otherwise. */
const levelOf = (r) => {
  const alpha = r.alpha ?? 0.05;
  const beta = r.beta ?? alpha;
  return beta === alpha ? `α ${alpha}` : `α ${alpha}, β ${beta}`;
};
const LEVELS = [ALPHA ? `alpha: ${Number(ALPHA)}` : '', BETA ? `beta: ${Number(BETA)}` : ''].filter(Boolean);

/**
 * Each service: its code file and config, and its builds of the second commit, each a change of
 * the code (as bench:history's builds are of its environment). gunicorn + Flask hashes 1500 rounds
 * per request (the config's env), so that the handler's work is most of a request's CPU, as the
 * demo's is; EXTRA_WORK 0.1 is then +10 % handler CPU.
 */
const SERVICES = {
  demo: {
    label: 'the demo service (Node.js), GET /api/products, 8 connections keep-alive',
    source: DEMO,
    file: 'server.js',
    builds: [
      { key: 'cpu-10', name: '+10 % handler CPU (SLOWDOWN 0.1)', change: (t) => t.replace('env.SLOWDOWN ?? 0)', 'env.SLOWDOWN ?? 0.1)') },
      { key: 'cpu-20', name: '+20 % handler CPU (SLOWDOWN 0.2)', change: (t) => t.replace('env.SLOWDOWN ?? 0)', 'env.SLOWDOWN ?? 0.2)') },
      { key: 'wait-2ms', name: 'a 2 ms wait per request (WAIT_MS 2)', change: (t) => t.replace('env.WAIT_MS ?? 0)', 'env.WAIT_MS ?? 2)') },
    ],
    yaml: `name: bench-history-stored-build
service:
  command: node server.js
  port: auto
  ready: { http: /health, timeout: 20s }
history: { store: dir, path: .history }
regression: { against: stored-build }
load: { connections: 8, warmup: 1s, duration: 2s, trials: 5 }
scenarios:
  - { name: products, request: { path: /api/products } }
`,
  },
  gunicorn: {
    label: 'gunicorn + Flask (2 sync workers, 1500 SHA-256 rounds per request), GET /items, 4 connections, Connection: close',
    source: FLASK,
    file: 'app.py',
    builds: [
      { key: 'cpu-10', name: '+10 % handler CPU (EXTRA_WORK 0.1)', change: (t) => t.replace('"EXTRA_WORK", "0"', '"EXTRA_WORK", "0.1"') },
      { key: 'cpu-20', name: '+20 % handler CPU (EXTRA_WORK 0.2)', change: (t) => t.replace('"EXTRA_WORK", "0"', '"EXTRA_WORK", "0.2"') },
      // The handler's hashing is about 60 % of a request's CPU here (+10 % of it read +5.4 to +7.1 %
      // CPU per request), so +16 % of it is the issue's +10 % service CPU per request.
      {
        key: 'service-cpu-10',
        name: '+10 % service CPU per request (EXTRA_WORK 0.16)',
        change: (t) => t.replace('"EXTRA_WORK", "0"', '"EXTRA_WORK", "0.16"'),
      },
      {
        key: 'wait-2ms',
        name: 'a 2 ms wait per request (time.sleep)',
        change: (t) =>
          t
            .replace('import hashlib, os', 'import hashlib, os, time')
            .replace('    return jsonify(ITEMS)', '    time.sleep(0.002)\n    return jsonify(ITEMS)'),
      },
    ],
    yaml: `name: bench-history-stored-build-gunicorn
service:
  command: /usr/bin/gunicorn --workers 2 --bind 127.0.0.1:$PORT app:app
  port: auto
  ready: { http: /health, timeout: 20s }
  env: { HASH_ROUNDS: "1500" }
history: { store: dir, path: .history }
regression: { against: stored-build }
load: { connections: 4, warmup: 1s, duration: 2s, trials: 5 }
scenarios:
  - { name: items, request: { path: /items } }
`,
  },
};
const service = SERVICES[SERVICE];
if (!service) throw new Error(`--service ${SERVICE}: one of ${Object.keys(SERVICES).join(', ')}`);
const YAML = service.yaml.replace(
  'regression: { against: stored-build }',
  `regression: { ${['against: stored-build', ...LEVELS].join(', ')} }`,
);
if (LEVELS.length && YAML === service.yaml) throw new Error('--alpha/--beta: the config has no regression line to set them on');
const COLLECTION = `${new Date().toISOString().slice(0, 10)}: ${
  process.argv
    .slice(2)
    .filter((a) => a !== '--append')
    .join(' ') || '(defaults)'
}`;

const UNCHANGED = {
  key: 'unchanged',
  name: 'unchanged (a docs-only commit)',
  file: 'README.md',
  change: (t) => `${t}A line of documentation.\n`,
};
const buildsOf = (svc) => [UNCHANGED, ...svc.builds.map((b) => ({ ...b, file: svc.file }))];
const BUILDS = buildsOf(service).filter((b) => !only || only.includes(b.key));

const PUSH = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GITHUB_'))),
  GITHUB_EVENT_NAME: 'push',
  GITHUB_REF: 'refs/heads/main',
  GITHUB_REF_NAME: 'main',
};

/** The repository: the service and its config at commit 1, stored as the last run. */
async function repository() {
  const dir = mkdtempSync(join(tmpdir(), 'perfgate-stored-build-'));
  writeFileSync(join(dir, service.file), readFileSync(service.source, 'utf8'));
  writeFileSync(join(dir, 'perfgate.yml'), YAML);
  // The demo's packages linked for its ES module (the base's worktree resolves them from the parent folders too).
  const git = benchRepo(dir, SERVICE);
  // The stored run of commit 1: only its commit is read (the base build); its figures are not compared.
  const config = loadConfig(join(dir, 'perfgate.yml'));
  const now = new Date().toISOString();
  const sha = git('rev-parse', 'HEAD');
  await openStore(config.history, dir).save({
    kind: 'perfgate-run',
    schemaVersion: 1,
    id: `${now.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${sha.slice(0, 7)}-bench0`,
    savedAt: now,
    startedAt: now,
    name: config.name,
    fingerprint: configFingerprint(config),
    runner: runnerClass(describeEnvironment(PUSH)),
    git: gitInfo(dir, PUSH),
    verdict: 'pass',
    scenarios: [],
  });
  return { dir, git, head: sha };
}

/** The build as the next commit (a docs-only one again and again: each adds a line). */
function commit(repo, build) {
  const file = join(repo.dir, build.file);
  const changed = build.change(readFileSync(file, 'utf8'));
  if (changed === readFileSync(file, 'utf8')) throw new Error(`${build.key}: the change did not apply to ${build.file}`);
  writeFileSync(file, changed);
  repo.git('commit', '-q', '-am', build.name);
}

/**
 * Each pair's figures of the one scenario, base and head, with the build in the first slot (B or
 * H) and the start it ran in (services restart at every crossover): what the run-to-run lean is
 * made of.
 */
function perPair(result) {
  const ab = result.ab;
  const head = (ab.headPairs ?? result).scenarios[0];
  const base = ab.base.scenarios[0];
  if (!head || !base) return null;
  const fig = (t) => ({ p50: t.latency.p50, p95: t.latency.p95, cpu: t.serviceCpu?.perRequestUs ?? null });
  return { firstSlot: ab.firstSlot ?? null, base: base.trials.map(fig), head: head.trials.map(fig) };
}

/** The gate on the repository's newest commit, pushed: measured against `base` (the last stored build's commit). */
async function push(repo, build, neighbour, extra = {}) {
  const base = repo.head;
  const started = Date.now();
  const o = await runGate({ config: 'perfgate.yml', outDir: '.perfgate', cwd: repo.dir, env: PUSH, progress: silentProgress });
  const ab = o.result.ab;
  if (!ab || ab.base.commit?.sha !== base) throw new Error(`not measured against the stored build: ${o.result.reason}`);
  repo.head = repo.git('rev-parse', 'HEAD');
  const gating = ab.comparisons.filter((c) => c.gating !== false);
  const change = (m) => ab.comparisons.find((c) => c.metric === m)?.change ?? null;
  return {
    service: SERVICE,
    build: build.key,
    neighbour,
    ...(ALPHA ? { alpha: Number(ALPHA) } : {}),
    ...(BETA ? { beta: Number(BETA) } : {}),
    collection: COLLECTION,
    ...extra,
    exitCode: o.exitCode,
    wallS: (Date.now() - started) / 1000,
    pairs: ab.trialsPerSide,
    design: ab.design,
    proven: gating.filter((c) => c.outcome === 'regression').map((c) => c.metric),
    confident: gating.filter((c) => c.outcome === 'confident pass').length,
    gating: gating.length,
    saved: o.result.history?.saved ?? false,
    change: { cpu_per_request: change('cpu_per_request'), p50: change('p50'), p95: change('p95') },
    // The stored duets read for the run-to-run lean, and the leans found (sd on the log scale).
    ...(ab.runLean
      ? {
          lean: { duets: ab.runLean.duets, sd: Object.fromEntries(ab.comparisons.filter((c) => c.lean).map((c) => [c.metric, c.lean.sd])) },
        }
      : {}),
    perPair: perPair(o.result),
    machine: machine(),
  };
}

/** With a CPU-bound neighbour beside it for as long as `f` runs, or none; the repository removed after. */
async function beside(neighbour, repo, f) {
  const noise = neighbour ? spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }) : null;
  try {
    return await f();
  } finally {
    noise?.kill('SIGKILL');
    rmSync(repo.dir, { recursive: true, force: true });
  }
}

/** One replay: the build as the commit after the stored one. */
async function replay(build, neighbour) {
  const repo = await repository();
  commit(repo, build);
  return [await beside(neighbour, repo, () => push(repo, build, neighbour))];
}

/**
 * Pushes in a row (`--sequence N`): N docs-only commits, each measured against the one before
 * (stored, with its duet's estimates), then the build: from the sixth push on, the stored duets'
 * run-to-run lean counts in the test.
 */
async function sequence(build, neighbour) {
  const repo = await repository();
  const id = `${Date.now().toString(36)}`;
  return beside(neighbour, repo, async () => {
    const out = [];
    for (let k = 1; k <= SEQUENCE + 1; k++) {
      const b = k <= SEQUENCE ? UNCHANGED : build;
      commit(repo, b);
      const r = await push(repo, b, neighbour, { sequence: { id, position: k, of: SEQUENCE + 1 } });
      process.stderr.write(
        `  push ${k}/${SEQUENCE + 1} (${b.key}): exit ${r.exitCode}, ${r.pairs} pairs, lean from ${r.lean?.duets ?? 0} duets ${JSON.stringify(r.lean?.sd ?? {})}\n`,
      );
      out.push(r);
    }
    return out;
  });
}

const DATA = join(ROOT, 'bench', 'data', 'history-stored-build.json');
const reportOnly = process.argv.includes('--report-only');
// Runs of the other services are kept; this one's start afresh unless --report-only or --append
// (runs without a service: the demo's).
const kept = existsSync(DATA) ? JSON.parse(readFileSync(DATA, 'utf8')).runs.map((r) => ({ service: 'demo', ...r })) : [];
const runs = reportOnly || process.argv.includes('--append') ? kept : kept.filter((r) => r.service !== SERVICE);
// Builds interleaved replay by replay, so that no build owns a stretch of the machine's drift.
for (const neighbour of reportOnly ? [] : NEIGHBOUR)
  for (let i = 0; i < REPLAYS; i++)
    for (const build of BUILDS) {
      const made = SEQUENCE ? await sequence(build, neighbour) : await replay(build, neighbour);
      const r = made[made.length - 1];
      process.stderr.write(
        `${SERVICE}, ${build.key}, neighbour ${neighbour ? 'on' : 'off'}, replay ${i + 1}/${REPLAYS}: exit ${r.exitCode}, ${r.pairs} pairs, ${Math.round(r.wallS)} s` +
          `${r.proven.length ? `, proven ${r.proven.join(', ')}` : ''}, CPU/request ${((r.change.cpu_per_request ?? NaN) * 100).toFixed(1)} %\n`,
      );
      runs.push(...made);
      writeFileSync(DATA, `${JSON.stringify({ machine: machine(), date: new Date().toISOString(), runs }, null, 1)}\n`);
    }

const pctOf = (xs) => (xs.length ? `${xs.map((x) => `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(1)}`).join(', ')} %` : '–');
/** The machine a run was measured on, short ("AMD EPYC", "Intel Xeon"). */
const machineOf = (r) =>
  r.machine
    .split(',')[0]
    .replace(/\(R\)/g, '')
    .replace(/ Processor$/, '');
const MACHINES = [...new Set(runs.map(machineOf))];
/** Single replays (each its own repository): the tables below; pushes in a row have a section of their own. */
const singles = runs.filter((r) => !r.sequence);
/** gate failed, confident passes, CPU change, pairs, wall, stored: the figures of a group of runs. */
function figures(rs, unchanged) {
  const failed = rs.filter((r) => r.exitCode === 1).length;
  const confident = rs.reduce((a, r) => a + r.confident, 0);
  const gating = rs.reduce((a, r) => a + r.gating, 0);
  return [
    unchanged ? `false fails ${rateText(failed, rs.length)}` : `caught ${rateText(failed, rs.length)}`,
    gating ? `${Math.round((confident / gating) * 100)} % (${confident}/${gating})` : '–',
    pctOf([median(rs.map((r) => r.change.cpu_per_request ?? 0))]),
    `${median(rs.map((r) => r.pairs))} (${Math.min(...rs.map((r) => r.pairs))}–${Math.max(...rs.map((r) => r.pairs))})`,
    `${Math.round(median(rs.map((r) => r.wallS)))} s`,
    `${rs.filter((r) => r.saved).length}/${rs.length}`,
  ];
}
const FIGURES = [
  'gate failed',
  'confident passes (gating)',
  'CPU per request, median change',
  'pairs, median (range)',
  'wall, median',
  'stored',
];
const sections = [];
for (const [key, svc] of Object.entries(SERVICES)) {
  const rows = [];
  const levels = [...new Set(singles.filter((r) => r.service === key).map(levelOf))].sort().reverse();
  for (const m of MACHINES)
    for (const level of levels)
      for (const build of buildsOf(svc))
        for (const neighbour of [false, true]) {
          const rs = singles.filter(
            (r) => r.service === key && machineOf(r) === m && r.build === build.key && r.neighbour === neighbour && levelOf(r) === level,
          );
          if (rs.length) rows.push([m, level, build.name, neighbour ? 'CPU-bound' : 'none', ...figures(rs, build.key === 'unchanged')]);
        }
  if (rows.length) sections.push(`## ${svc.label}\n\n${table(['machine', 'gate', 'build', 'neighbour', ...FIGURES], rows)}`);
}

// Pushes in a row (--sequence): per service, machine and neighbour, the docs-only pushes before a
// lean could be read (fewer than 5 stored duets), those after, and the build at the end; the leans
// the last pushes read.
const SEQ = runs.filter((r) => r.sequence);
const seqRows = [];
const leanRows = [];
for (const [key, svc] of Object.entries(SERVICES))
  for (const m of MACHINES)
    for (const level of [...new Set(SEQ.map(levelOf))].sort().reverse())
      for (const neighbour of [false, true]) {
        const rs = SEQ.filter((r) => r.service === key && machineOf(r) === m && r.neighbour === neighbour && levelOf(r) === level);
        if (!rs.length) continue;
        const read = (r) => Object.keys(r.lean?.sd ?? {}).length > 0 || (r.lean?.duets ?? 0) >= 5;
        const groups = [
          ['unchanged, pushes before 5 stored duets (no lean yet)', rs.filter((r) => r.build === 'unchanged' && !read(r)), true],
          ['unchanged, pushes with a lean read (5 or more stored duets)', rs.filter((r) => r.build === 'unchanged' && read(r)), true],
          ...buildsOf(svc)
            .filter((b) => b.key !== 'unchanged')
            .map((b) => [`${b.name}, the last push`, rs.filter((r) => r.build === b.key), false]),
        ];
        for (const [what, g, unchanged] of groups)
          if (g.length)
            seqRows.push([
              svc.label.split(' (')[0].split(',')[0],
              m,
              level,
              neighbour ? 'CPU-bound' : 'none',
              what,
              ...figures(g, unchanged),
            ]);
        // The leans the pushes read once 5 or more duets were stored: median and largest, per metric (0: none beyond the pairs).
        const withLean = rs.filter(read);
        for (const metric of ['cpu_per_request', 'p50', 'p95']) {
          const sds = withLean.map((r) => r.lean?.sd?.[metric] ?? 0);
          if (sds.length)
            leanRows.push([
              svc.label.split(' (')[0].split(',')[0],
              m,
              neighbour ? 'CPU-bound' : 'none',
              metric,
              String(sds.length),
              `±${(median(sds) * 100).toFixed(2)} %`,
              `±${(Math.max(...sds) * 100).toFixed(2)} %`,
              `${sds.filter((x) => x > 0).length}/${sds.length}`,
            ]);
        }
      }
const sequences = SEQ.length
  ? `## Pushes in a row: the run-to-run lean read from stored duets

\`--sequence N\`: one repository, N docs-only commits pushed one after the other (each measured
against the one before and stored with its duet's estimates), then the build. From the sixth push
on, the stored duets' run-to-run lean (analysis/lean.ts: the sd of their estimates, from the 80th percentile of their deviations, less what
their pairs explain) counts in each comparison's test. ${new Set(SEQ.map((r) => r.sequence.id)).size} sequences, ${SEQ.length} pushes.

${table(['service', 'machine', 'gate', 'neighbour', 'pushes', ...FIGURES], seqRows)}

The leans read (sd on the log scale, per push with 5 or more stored duets; 0 where the estimates
agreed no worse than their pairs):

${table(['service', 'machine', 'neighbour', 'metric', 'pushes', 'median lean', 'largest', 'pushes with a lean > 0'], leanRows)}
`
  : '';

// Collections: the arguments of each `npm run bench:history-stored-build` that added runs (runs from
// before the label: the four collections of 2026-12-07).
const collections = new Map();
for (const r of runs) {
  const c =
    r.collection ??
    '2026-12-07: four collections, `--replays 2 --neighbour both` (16), `--replays 3 --neighbour on` (12), `--service gunicorn --replays 2 --neighbour both` (16), `--service demo --only unchanged --replays 8 --neighbour both` (16)';
  collections.set(c, (collections.get(c) ?? 0) + 1);
}
// Every unchanged replay per level, both services and neighbours pooled: the false-fail rate the
// goal (≤ 1 %) is about, and the share of gating comparisons that were confident passes.
const pooled = [...new Set(runs.map(levelOf))]
  .sort()
  .reverse()
  .map((level) => {
    const rs = runs.filter((r) => r.build === 'unchanged' && levelOf(r) === level);
    const confident = rs.reduce((a, r) => a + r.confident, 0);
    const gating = rs.reduce((a, r) => a + r.gating, 0);
    const perMachine = MACHINES.map((m) => {
      const ms = rs.filter((r) => machineOf(r) === m);
      return `${m} ${ms.filter((r) => r.exitCode === 1).length}/${ms.length}`;
    }).join(', ');
    return `- ${level}: false fails ${rateText(rs.filter((r) => r.exitCode === 1).length, rs.length)} (${perMachine}); gating comparisons confident passes ${rateText(confident, gating)}.`;
  });
// How far an unchanged build's figures moved from replay to replay, per service, level and
// neighbour: the log of each replay's change (head ÷ base, its pairs pooled), their mean and sd,
// and how many of those sds δ lies beyond the mean with the normal tail beyond it. A run whose
// lean alone lies beyond δ fails however many pairs it takes; the sequential test's α is what keeps
// the rest from failing.
const DELTAS = { cpu_per_request: 0.04, p50: 0.05, p95: 0.1 };
const sdOf = (xs) => {
  const m = xs.reduce((a, x) => a + x, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
};
const normalTail = (z) => 0.5 * erfc(z / Math.SQRT2);
function erfc(x) {
  // Numerical Recipes' erfcc (fractional error < 1.2e-7).
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const y =
    t *
    Math.exp(
      -x * x -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851296 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? y : 2 - y;
}
const spreadRows = [];
for (const key of Object.keys(SERVICES))
  for (const m of MACHINES)
    for (const level of [...new Set(singles.filter((r) => r.service === key).map(levelOf))].sort().reverse())
      for (const neighbour of [false, true]) {
        const rs = singles.filter(
          (r) => r.service === key && machineOf(r) === m && r.build === 'unchanged' && r.neighbour === neighbour && levelOf(r) === level,
        );
        for (const [metric, delta] of Object.entries(DELTAS)) {
          const xs = rs
            .map((r) => r.change[metric])
            .filter((x) => x !== null && x !== undefined)
            .map((x) => Math.log1p(x));
          if (xs.length < 3) continue;
          const mean = xs.reduce((a, x) => a + x, 0) / xs.length;
          const sd = sdOf(xs);
          const z = (Math.log1p(delta) - mean) / sd;
          spreadRows.push([
            key,
            m,
            level,
            neighbour ? 'CPU-bound' : 'none',
            metric,
            String(xs.length),
            `${mean >= 0 ? '+' : '−'}${Math.abs(mean * 100).toFixed(2)} %`,
            `${(sd * 100).toFixed(2)} %`,
            `${(delta * 100).toFixed(0)} %`,
            `${z.toFixed(1)} sd (${normalTail(z) < 1e-5 ? '< 0.001 %' : `${(normalTail(z) * 100).toPrecision(2)} %`})`,
          ]);
        }
      }
const spread = spreadRows.length
  ? `## How far the unchanged builds' figures moved from replay to replay

Each unchanged replay's change (log of head ÷ base over its pairs), per service, level and
neighbour: the mean (the lean of a run), the sd across replays, and how far δ lies beyond the mean
in those sds, with the share of a normal beyond it. That share is about the runs whose lean alone
lies beyond δ; the sequential test's α is what keeps the others from failing.

${table(['service', 'machine', 'gate', 'neighbour', 'metric', 'replays', 'mean', 'sd', 'δ', 'δ beyond the mean (normal tail)'], spreadRows)}
`
  : '';
const RESULTS = join(ROOT, 'bench', 'RESULTS-history-stored-build.md');
const old = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '';
const handWritten = old.includes('\n## What it shows') ? old.slice(old.indexOf('\n## What it shows') + 1) : '';
const md = `# History against the last stored build (\`regression.against: stored-build\`)

Machines: ${MACHINES.map((m) => `${m} (${runs.filter((r) => machineOf(r) === m).length} runs)`).join(', ')}; each 2 cores, 24 GiB, Node v20.20.2 (the
tables keep them apart). ${runs.length} runs, nothing else running but the bench's own neighbour
(\`npm run bench:history-stored-build -- …\`; each collection's arguments, and its runs):
${[...collections].map(([c, n]) => `- ${c}: ${n} ${c.includes('--sequence') ? 'pushes' : 'replays'}`).join('\n')}

Each replay is a push to the default branch of a repository of one service (2 s trials, the
default A/B settings; the gate at the level its rows name): its first commit is the last stored
run, its second the build named. perfgate checks the first commit out, measures both builds side
by side (a duet) and stores the second. The builds are bench:history's, made as code changes.

${sections.join('\n\n')}

Every unchanged build, both services and neighbours pooled, per level of the gate:
${pooled.join('\n')}
${spread ? `\n${spread}` : ''}${sequences ? `\n${sequences}` : ''}${handWritten ? `\n${handWritten}` : ''}`;
writeFileSync(RESULTS, md);
process.stdout.write(md);
