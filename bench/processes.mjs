// Does `load.processes: 2` raise the req/s one machine can send? Interleaved rounds of one
// trial each, with the load in-process (1) or split over 2 load processes, a two-step workflow
// (POST, capture an id from the JSON answer, GET with it), against (a) nginx answering a fixed
// JSON body (a service with spare capacity: the load generator is the bottleneck) and (b) the
// demo service (no spare capacity: one Node process that already uses its core). Uses
// perfgate's own modules from build/ (npm run bench:processes).
//
//   node bench/processes.mjs [--rounds 6] [--connections 100] [--seconds 5]
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LoadPool } from '../build/load/processes.js';
import { runScenario } from '../build/load/scenario.js';
import { freePort } from '../build/service/port.js';
import { DEMO, machine } from './lib.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const rounds = arg('rounds', 6);
const connections = arg('connections', 100);
const seconds = arg('seconds', 5);

async function waitFor(url) {
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never answered`);
}

async function startNginx() {
  const dir = mkdtempSync(join(tmpdir(), 'perfgate-bench-nginx-'));
  const port = await freePort();
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 4096; }
http { access_log off; client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  server { listen 127.0.0.1:${port}; default_type application/json;
    location / { return 200 '{"id":"it_1","items":[1,2,3]}'; } } }
`,
  );
  const child = spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' });
  await waitFor(`http://127.0.0.1:${port}/`);
  return { url: `http://127.0.0.1:${port}`, stop: () => (child.kill('SIGTERM'), rmSync(dir, { recursive: true, force: true })) };
}

async function startDemo() {
  const port = await freePort();
  const child = spawn(process.execPath, [DEMO], { env: { ...process.env, PORT: String(port) }, stdio: 'ignore' });
  await waitFor(`http://127.0.0.1:${port}/health`);
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

/** A two-step workflow (POST, capture the id from the JSON answer, GET with it): the generator's work per request is perfgate's real work. */
function scenario(second, processes) {
  return {
    name: 'bench',
    kind: 'workflow',
    steps: [
      {
        name: 'create',
        method: 'POST',
        path: '/api/intents',
        headers: { 'content-type': 'application/json' },
        json: { amount: 100 },
        capture: { id: 'id' },
      },
      second,
    ],
    connections,
    warmupMs: 1000,
    trials: 1,
    durationMs: seconds * 1000,
    timeoutMs: 10_000,
    processes,
  };
}

async function trial(url, second, processes) {
  const pool = processes > 1 ? new LoadPool(processes) : undefined;
  try {
    const run = await runScenario(url, scenario(second, processes), { interrupt: () => undefined }, pool?.start);
    const t = run.trials[0];
    return { rps: t.rps, p50: t.latency.p50, errors: t.errors.total };
  } finally {
    await pool?.close();
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const rows = [];
for (const [label, start, second] of [
  [
    'nginx, a fixed JSON answer (spare capacity)',
    startNginx,
    { name: 'read', method: 'GET', path: '/api/intents?id=${id}', headers: {}, capture: {} },
  ],
  [
    'demo service, intent → cart (no spare capacity)',
    startDemo,
    {
      name: 'cart',
      method: 'POST',
      path: '/api/carts',
      headers: { 'content-type': 'application/json' },
      json: { intentId: '${id}' },
      capture: {},
    },
  ],
]) {
  const target = await start();
  const got = { 1: [], 2: [] };
  try {
    for (let r = 0; r < rounds; r++) {
      // Interleaved, alternating which goes first, so that drift hits both alike.
      for (const p of r % 2 ? [2, 1] : [1, 2]) {
        const x = await trial(target.url, second, p);
        got[p].push(x);
        process.stderr.write(`${label}: round ${r + 1}/${rounds}, ${p} process${p > 1 ? 'es' : ''}: ${Math.round(x.rps)} req/s\n`);
      }
    }
  } finally {
    target.stop();
  }
  const m1 = median(got[1].map((x) => x.rps));
  const m2 = median(got[2].map((x) => x.rps));
  rows.push({
    label,
    one: m1,
    two: m2,
    ratio: m2 / m1,
    range1: [Math.min(...got[1].map((x) => x.rps)), Math.max(...got[1].map((x) => x.rps))],
    range2: [Math.min(...got[2].map((x) => x.rps)), Math.max(...got[2].map((x) => x.rps))],
    errors: [...got[1], ...got[2]].reduce((a, x) => a + x.errors, 0),
  });
}

const f = (x) => Math.round(x).toLocaleString('en-US');
console.log(`# load.processes: req/s from one machine\n`);
console.log(
  `${machine()}; ${connections} connections, ${seconds} s trials, ${rounds} interleaved rounds per setting; \`node bench/processes.mjs\`.\n`,
);
console.log('| Target | 1 process (median, range) | 2 processes (median, range) | Ratio | Errors |');
console.log('|---|---|---|---|---|');
for (const r of rows)
  console.log(
    `| ${r.label} | ${f(r.one)} (${f(r.range1[0])}–${f(r.range1[1])}) | ${f(r.two)} (${f(r.range2[0])}–${f(r.range2[1])}) | ×${r.ratio.toFixed(2)} | ${r.errors} |`,
  );
