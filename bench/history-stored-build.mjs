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

/** The repository: the service and its config at commit 1, stored as the last run; the build at commit 2. */
async function repository(build) {
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
  const file = join(dir, build.file);
  const changed = build.change(readFileSync(file, 'utf8'));
  if (changed === readFileSync(file, 'utf8')) throw new Error(`${build.key}: the change did not apply to ${build.file}`);
  writeFileSync(file, changed);
  git('commit', '-q', '-am', build.name);
  return { dir, first: sha };
}

async function replay(build, neighbour) {
  const { dir, first } = await repository(build);
  const noise = neighbour ? spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }) : null;
  try {
    const started = Date.now();
    const o = await runGate({ config: 'perfgate.yml', outDir: '.perfgate', cwd: dir, env: PUSH, progress: silentProgress });
    const ab = o.result.ab;
    if (!ab || ab.base.commit?.sha !== first) throw new Error(`not measured against the stored build: ${o.result.reason}`);
    const gating = ab.comparisons.filter((c) => c.gating !== false);
    const change = (m) => ab.comparisons.find((c) => c.metric === m)?.change ?? null;
    return {
      service: SERVICE,
      build: build.key,
      neighbour,
      ...(ALPHA ? { alpha: Number(ALPHA) } : {}),
      ...(BETA ? { beta: Number(BETA) } : {}),
      collection: COLLECTION,
      exitCode: o.exitCode,
      wallS: (Date.now() - started) / 1000,
      pairs: ab.trialsPerSide,
      design: ab.design,
      proven: gating.filter((c) => c.outcome === 'regression').map((c) => c.metric),
      confident: gating.filter((c) => c.outcome === 'confident pass').length,
      gating: gating.length,
      saved: o.result.history?.saved ?? false,
      change: { cpu_per_request: change('cpu_per_request'), p50: change('p50'), p95: change('p95') },
    };
  } finally {
    noise?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
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
      const r = await replay(build, neighbour);
      process.stderr.write(
        `${SERVICE}, ${build.key}, neighbour ${neighbour ? 'on' : 'off'}, replay ${i + 1}/${REPLAYS}: exit ${r.exitCode}, ${r.pairs} pairs, ${Math.round(r.wallS)} s` +
          `${r.proven.length ? `, proven ${r.proven.join(', ')}` : ''}, CPU/request ${((r.change.cpu_per_request ?? NaN) * 100).toFixed(1)} %\n`,
      );
      runs.push(r);
      writeFileSync(DATA, `${JSON.stringify({ machine: machine(), date: new Date().toISOString(), runs }, null, 1)}\n`);
    }

const pctOf = (xs) => (xs.length ? `${xs.map((x) => `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(1)}`).join(', ')} %` : '–');
const sections = [];
for (const [key, svc] of Object.entries(SERVICES)) {
  const rows = [];
  const levels = [...new Set(runs.filter((r) => r.service === key).map(levelOf))].sort().reverse();
  for (const level of levels)
    for (const build of buildsOf(svc))
      for (const neighbour of [false, true]) {
        const rs = runs.filter((r) => r.service === key && r.build === build.key && r.neighbour === neighbour && levelOf(r) === level);
        if (!rs.length) continue;
        const failed = rs.filter((r) => r.exitCode === 1).length;
        const confident = rs.reduce((a, r) => a + r.confident, 0);
        const gating = rs.reduce((a, r) => a + r.gating, 0);
        rows.push([
          level,
          build.name,
          neighbour ? 'CPU-bound' : 'none',
          build.key === 'unchanged' ? `false fails ${rateText(failed, rs.length)}` : `caught ${rateText(failed, rs.length)}`,
          gating ? `${Math.round((confident / gating) * 100)} % (${confident}/${gating})` : '–',
          pctOf([median(rs.map((r) => r.change.cpu_per_request ?? 0))]),
          `${median(rs.map((r) => r.pairs))} (${Math.min(...rs.map((r) => r.pairs))}–${Math.max(...rs.map((r) => r.pairs))})`,
          `${Math.round(median(rs.map((r) => r.wallS)))} s`,
          `${rs.filter((r) => r.saved).length}/${rs.length}`,
        ]);
      }
  if (rows.length)
    sections.push(
      `## ${svc.label}\n\n${table(['gate', 'build', 'neighbour', 'gate failed', 'confident passes (gating)', 'CPU per request, median change', 'pairs, median (range)', 'wall, median', 'stored'], rows)}`,
    );
}

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
    return `- ${level}: false fails ${rateText(rs.filter((r) => r.exitCode === 1).length, rs.length)}; gating comparisons confident passes ${rateText(confident, gating)}.`;
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
  for (const level of [...new Set(runs.filter((r) => r.service === key).map(levelOf))].sort().reverse())
    for (const neighbour of [false, true]) {
      const rs = runs.filter((r) => r.service === key && r.build === 'unchanged' && r.neighbour === neighbour && levelOf(r) === level);
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

${table(['service', 'gate', 'neighbour', 'metric', 'replays', 'mean', 'sd', 'δ', 'δ beyond the mean (normal tail)'], spreadRows)}
`
  : '';
const RESULTS = join(ROOT, 'bench', 'RESULTS-history-stored-build.md');
const old = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '';
const handWritten = old.includes('\n## What it shows') ? old.slice(old.indexOf('\n## What it shows') + 1) : '';
const md = `# History against the last stored build (\`regression.against: stored-build\`)

Machine: ${machine()}. ${runs.length} replays, nothing else running but the bench's own neighbour
(\`npm run bench:history-stored-build -- …\`; each collection's arguments, and its replays):
${[...collections].map(([c, n]) => `- ${c}: ${n} replays`).join('\n')}

Each replay is a push to the default branch of a repository of one service (2 s trials, the
default A/B settings; the gate at the level its rows name): its first commit is the last stored
run, its second the build named. perfgate checks the first commit out, measures both builds side
by side (a duet) and stores the second. The builds are bench:history's, made as code changes.

${sections.join('\n\n')}

Every unchanged build, both services and neighbours pooled, per level of the gate:
${pooled.join('\n')}
${spread ? `\n${spread}` : ''}${handWritten ? `\n${handWritten}` : ''}`;
writeFileSync(RESULTS, md);
process.stdout.write(md);
