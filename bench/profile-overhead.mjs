// What the profiler costs, per runtime: `perfgate run --profile` (the built CLI) on a service of
// each kind, with several identical scenarios so that one profiled start gives several pairs of
// trials: an unprofiled reference, then the profiled one, back to back at the same load (what
// the report quotes). Per pair: req/s profiled / unprofiled and the service's CPU time per
// request profiled / unprofiled. Node.js: the demo under V8's CPU profiler; Python: gunicorn +
// Flask under perfgate's sampler; anything else:
// nginx (or Python's http.server) under `perf record`. Writes bench/RESULTS-profile.md and the
// raw pairs to bench/data/profile/.
//
//   npm run bench:profile            (4 scenarios × 3 s per start, 3 runs per runtime)
//   node bench/profile-overhead.mjs --quick
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO, ROOT, machine, median, table } from './lib.mjs';

const quick = process.argv.includes('--quick');
const RUNS = quick ? 1 : 3;
const SCENARIOS = 4;
const DURATION = quick ? '1s' : '3s';
const CLI = join(ROOT, 'dist', 'cli', 'index.js');

function config(name, service, path, profile = 'auto') {
  const scenarios = Array.from({ length: SCENARIOS }, (_, i) => `  - { name: s${i + 1}, request: { path: ${path} } }`).join('\n');
  return `name: ${name}
service:
${service}
profile: ${profile}
history: { store: none }
load: { connections: 8, warmup: 1s, duration: ${DURATION}, trials: 1 }
scenarios:
${scenarios}
`;
}

const site = mkdtempSync(join(tmpdir(), 'perfgate-bench-site-'));
chmodSync(site, 0o755);
writeFileSync(join(site, 'hello.json'), JSON.stringify({ message: 'hello' }));
chmodSync(join(site, 'hello.json'), 0o644);
const nginx = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => spawnSync(p, ['-v']).status === 0);
writeFileSync(
  join(site, 'nginx.conf.in'),
  `daemon off; worker_processes 1; pid ${site}/nginx.pid; error_log stderr;
events { worker_connections 1024; }
http { access_log off; client_body_temp_path ${site}; proxy_temp_path ${site}; fastcgi_temp_path ${site}; uwsgi_temp_path ${site}; scgi_temp_path ${site};
  server { listen 127.0.0.1:PORT; root ${site}; } }
`,
);

const RUNTIMES = [
  {
    runtime: 'Node.js',
    service: `  command: node ${JSON.stringify(DEMO)}\n  ready: { http: /health }`,
    path: '/api/products',
  },
  {
    runtime: 'Python (gunicorn + Flask)',
    service: `  command: /usr/bin/gunicorn --workers 2 --bind 127.0.0.1:$PORT app:app\n  cwd: ${JSON.stringify(join(ROOT, 'fixtures', 'flask-hash-app'))}\n  port: auto\n  ready: { http: /health, timeout: 20s }`,
    path: '/items',
  },
  nginx
    ? {
        runtime: 'nginx (C), perf',
        service: `  command: sed "s/PORT/$PORT/" nginx.conf.in > nginx.conf && exec ${nginx} -c ${site}/nginx.conf -p ${site}\n  cwd: ${JSON.stringify(site)}\n  port: auto\n  ready: { tcp: true, timeout: 20s }`,
        path: '/hello.json',
        profile: 'perf',
      }
    : {
        runtime: "Python's http.server, perf",
        service: `  command: python3 -m http.server $PORT --bind 127.0.0.1\n  cwd: ${JSON.stringify(site)}\n  port: auto\n  ready: { tcp: true, timeout: 20s }`,
        path: '/hello.json',
        profile: 'perf',
      },
];

const dataDir = join(ROOT, 'bench', 'data', 'profile');
mkdirSync(dataDir, { recursive: true });
const rows = [];
const all = [];
for (const r of RUNTIMES) {
  const pairs = [];
  let profiler = '';
  for (let run = 0; run < RUNS; run++) {
    const dir = mkdtempSync(join(tmpdir(), 'perfgate-bench-profile-'));
    writeFileSync(join(dir, 'perfgate.yml'), config('overhead', r.service, r.path, r.profile));
    const out = spawnSync(process.execPath, [CLI, 'run', '--profile', '--unjudgeable', 'warn', '--out', join(dir, 'out')], {
      cwd: dir,
      encoding: 'utf8',
    });
    const result = JSON.parse(readFileSync(join(dir, 'out', 'result.json'), 'utf8'));
    if (!result.profile) throw new Error(`${r.runtime}: not profiled\n${out.stderr.slice(-3000)}`);
    for (const sc of result.profile.scenarios) {
      const s = sc.sides[0];
      if (!s.profiler) throw new Error(`${r.runtime}: no profile: ${s.note}`);
      profiler = s.profiler;
      pairs.push({
        scenario: sc.scenario,
        rps: s.rps,
        referenceRps: s.referenceRps,
        cpuUs: s.cpuPerRequestUs,
        referenceCpuUs: s.referenceCpuPerRequestUs,
        samples: s.samples,
        top: s.top[0] ? `${s.top[0].name} (${(s.top[0].selfShare * 100).toFixed(0)} %)` : '',
      });
    }
    process.stderr.write(`${r.runtime}: run ${run + 1}/${RUNS} done\n`);
  }
  const rpsRatio = pairs.map((p) => p.rps / p.referenceRps);
  const cpuRatio = pairs.filter((p) => p.cpuUs && p.referenceCpuUs).map((p) => p.cpuUs / p.referenceCpuUs);
  const f = (xs) =>
    `${((median(xs) - 1) * 100).toFixed(1)} % (${((Math.min(...xs) - 1) * 100).toFixed(1)} … ${((Math.max(...xs) - 1) * 100).toFixed(1)} %)`;
  rows.push([
    r.runtime,
    profiler,
    String(pairs.length),
    f(rpsRatio),
    cpuRatio.length ? f(cpuRatio) : '–',
    String(Math.round(median(pairs.map((p) => p.samples)))),
    pairs[0]?.top ?? '',
  ]);
  all.push({ runtime: r.runtime, profiler, pairs });
}

writeFileSync(
  join(dataDir, `overhead${quick ? '-quick' : ''}.json`),
  `${JSON.stringify({ machine: machine(), duration: DURATION, all }, null, 1)}\n`,
);
const md = `# What the profiler costs, per runtime

\`node bench/profile-overhead.mjs${quick ? ' --quick' : ''}\` on ${machine()}. Each pair: one
unprofiled trial, then one profiled, back to back on the same start of the service, at the same
closed-model load (8 connections, ${DURATION}); ${SCENARIOS} identical scenarios per start, ${RUNS}
start${RUNS === 1 ? '' : 's'} per runtime. Median change (range over the pairs); CPU per request is the
service's own cost, req/s also moves with whatever else shares the two cores.

${table(['Runtime', 'Profiler', 'Pairs', 'req/s, profiled vs unprofiled', 'CPU per request, profiled vs unprofiled', 'Samples per trial', 'Hottest function (first pair)'], rows)}
`;
writeFileSync(join(ROOT, 'bench', `RESULTS-profile${quick ? '-quick' : ''}.md`), md);
process.stdout.write(md);
