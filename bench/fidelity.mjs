// Fidelity on servers perfgate did not write, side by side in one run, rounds interleaved:
//  (a) closed model against gunicorn + Flask (sync workers: Connection: close) and Python's
//      http.server (HTTP/1.0), and the demo over https (TLS): perfgate vs wrk vs a raw socket
//      client (bench/raw-client.mjs);
//  (b) the open model at 1,000 req/s over 1,000 and over 50 connections (demo): perfgate vs an
//      evenly paced raw client;
//  (c) the keep-alive rows of measure-tools.mjs (fixed work and the cheap endpoint).
// Usage: npm run bench:fidelity [-- --quick]   → bench/RESULTS-fidelity.md
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runScenario } from '../build/load/scenario.js';
import { freePort } from '../build/service/port.js';
import { measureTools, renderTools } from './measure-tools.mjs';
import { rawClosed, rawPaced } from './raw-client.mjs';
import { DEMO, machine, median, profileFromArgs, ROOT, table } from './lib.mjs';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 2 : 5;
const DURATION = quick ? 2000 : 5000;

async function waitHttp(url) {
  for (let i = 0; i < 200; i++) {
    const lib = url.startsWith('https:') ? https : http;
    const ok = await new Promise((r) =>
      lib.get(url, { rejectUnauthorized: false }, (res) => (res.resume(), r(res.statusCode < 500))).on('error', () => r(false)),
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer`);
}

async function server(cmd, args, opts, probe, scheme = 'http') {
  const port = await freePort();
  const child = spawn(cmd, args(port), {
    ...opts,
    env: { ...process.env, ...opts.env, PORT: String(port) },
    stdio: 'ignore',
    detached: true,
  });
  const url = `${scheme}://127.0.0.1:${port}`;
  await waitHttp(url + probe);
  return { url, stop: () => process.kill(-child.pid, 'SIGTERM') };
}

const scenario = (path, connections, rate, secure) => ({
  name: 'x',
  kind: 'request',
  steps: [{ name: path, method: 'GET', path, headers: {}, capture: {} }],
  connections,
  ...(rate ? { rate } : {}),
  warmupMs: 0,
  trials: 1,
  durationMs: DURATION,
  timeoutMs: DURATION,
  processes: 1,
  ...(secure ? { tls: { insecure: true } } : {}),
});

async function perfgate(url, path, connections, rate) {
  const run = await runScenario(url, scenario(path, connections, rate, url.startsWith('https:')), { interrupt: () => undefined });
  const t = run.trials[0];
  return { p50: t.latency.p50, p95: t.latency.p95, rps: t.rps, errors: t.errors.total, late: t.pacing?.late ?? 0 };
}

const WRK_SCRIPT = join(mkdtempSync(join(tmpdir(), 'perfgate-wrk-')), 'p.lua');
writeFileSync(
  WRK_SCRIPT,
  `done = function(s, latency, r)
  local e = s.errors
  io.write(string.format("PG %f %f %f %d\\n", latency:percentile(50) / 1000, latency:percentile(95) / 1000, s.requests / (s.duration / 1e6), e.connect + e.read + e.write + e.status + e.timeout))
end
`,
);

function wrk(url, path, connections) {
  const out = execFileSync('wrk', ['-t1', `-c${connections}`, `-d${DURATION / 1000}s`, '-s', WRK_SCRIPT, url + path], { encoding: 'utf8' });
  const m = /PG ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(out);
  return { p50: Number(m[1]), p95: Number(m[2]), rps: Number(m[3]), errors: Number(m[4]) };
}

async function raw(url, path, connections) {
  const r = await rawClosed(url + path, { connections, durationMs: DURATION });
  return { p50: r.p50, p95: r.p95, rps: r.rps, errors: r.errors };
}

const med = (rows, k) => median(rows.map((r) => r[k]));
const ratio = (a, b, k) => median(a.map((x, i) => x[k] / b[i][k]));

async function closedRows() {
  const site = mkdtempSync(join(tmpdir(), 'perfgate-site-'));
  writeFileSync(join(site, 'hello.json'), JSON.stringify({ message: 'hello', items: Array.from({ length: 20 }, (_, i) => i) }));
  const targets = [
    {
      label: 'gunicorn + Flask (3 sync workers), GET /hello, 8 connections',
      start: () =>
        server(
          '/usr/bin/gunicorn',
          (p) => ['--workers', '3', '--bind', `127.0.0.1:${p}`, 'app:app'],
          { cwd: join(ROOT, 'fixtures', 'flask-app') },
          '/health',
        ),
      path: '/hello',
      connections: 8,
    },
    {
      label: 'python3 -m http.server, GET /hello.json, 4 connections',
      start: () => server('python3', (p) => ['-m', 'http.server', String(p), '--bind', '127.0.0.1'], { cwd: site }, '/hello.json'),
      path: '/hello.json',
      connections: 4,
    },
    {
      label: 'demo over https (TLS, keep-alive), GET /api/products, 8 connections',
      start: () =>
        server(
          process.execPath,
          () => [DEMO],
          { env: { TLS_CERT: join(ROOT, 'fixtures', 'tls', 'server.pem'), TLS_KEY: join(ROOT, 'fixtures', 'tls', 'server-key.pem') } },
          '/health',
          'https',
        ),
      path: '/api/products',
      connections: 8,
    },
  ];
  const out = [];
  for (const t of targets) {
    const s = await t.start();
    const rows = { perfgate: [], wrk: [], raw: [] };
    try {
      await perfgate(s.url, t.path, t.connections); // warm-up
      for (let r = 0; r < ROUNDS; r++) {
        process.stderr.write(`fidelity: ${t.label}, round ${r + 1}/${ROUNDS}\n`);
        rows.perfgate.push(await perfgate(s.url, t.path, t.connections));
        rows.wrk.push(wrk(s.url, t.path, t.connections));
        rows.raw.push(await raw(s.url, t.path, t.connections));
      }
    } finally {
      s.stop();
    }
    out.push({ label: t.label, rows });
  }
  return out;
}

async function openRows() {
  const demo = await server(process.execPath, () => [DEMO], {}, '/health');
  const out = [];
  try {
    for (const connections of [1000, 50]) {
      const rows = { perfgate: [], raw: [] };
      await perfgate(demo.url, '/api/products', connections, 1000); // warm-up
      for (let r = 0; r < ROUNDS; r++) {
        process.stderr.write(`fidelity: open model, ${connections} connections, round ${r + 1}/${ROUNDS}\n`);
        rows.perfgate.push(await perfgate(demo.url, '/api/products', connections, 1000));
        const x = await rawPaced(`${demo.url}/api/products`, { connections, rate: 1000, durationMs: DURATION });
        rows.raw.push({ p50: x.p50, p95: x.p95, rps: x.rps, errors: x.errors });
      }
      out.push({ label: `demo GET /api/products, 1,000 req/s over ${connections.toLocaleString('en')} connections`, rows });
    }
  } finally {
    demo.stop();
  }
  return out;
}

const ms = (x) => `${x.toFixed(3)} ms`;
const within = (r, tol) => Math.abs(r - 1) <= tol;

const started = Date.now();
const closed = await closedRows();
const open = await openRows();
process.stderr.write('fidelity: keep-alive rows (measure-tools)\n');
const p = profileFromArgs();
const tools = await measureTools(quick ? { ...p, durationMs: 2000 } : p);

const goals = [];
const closedTable = [];
for (const c of closed) {
  const { perfgate: pg, wrk: w, raw: r } = c.rows;
  for (const k of ['p50', 'p95']) {
    const vsWrk = ratio(pg, w, k);
    const vsRaw = ratio(pg, r, k);
    closedTable.push([c.label, k, ms(med(pg, k)), ms(med(w, k)), ms(med(r, k)), vsWrk.toFixed(3), vsRaw.toFixed(3)]);
    goals.push({ what: `${c.label}: ${k} within ±5 % of wrk`, ok: within(vsWrk, 0.05), value: `×${vsWrk.toFixed(3)}` });
    goals.push({ what: `${c.label}: ${k} within ±5 % of the raw client`, ok: within(vsRaw, 0.05), value: `×${vsRaw.toFixed(3)}` });
  }
  const errs = pg.reduce((a, x) => a + x.errors, 0);
  closedTable.push([
    c.label,
    'req/s',
    med(pg, 'rps').toFixed(0),
    med(w, 'rps').toFixed(0),
    med(r, 'rps').toFixed(0),
    ratio(pg, w, 'rps').toFixed(3),
    ratio(pg, r, 'rps').toFixed(3),
  ]);
  closedTable.push([
    c.label,
    'errors (all rounds)',
    String(errs),
    String(w.reduce((a, x) => a + x.errors, 0)),
    String(r.reduce((a, x) => a + x.errors, 0)),
    '',
    '',
  ]);
  goals.push({ what: `${c.label}: no phantom errors`, ok: errs === 0, value: `${errs} errors` });
  goals.push({
    what: `${c.label}: throughput ≥ 0.90 of the raw client`,
    ok: ratio(pg, r, 'rps') >= 0.9,
    value: `×${ratio(pg, r, 'rps').toFixed(3)}`,
  });
}
const openTable = [];
for (const o of open) {
  const { perfgate: pg, raw: r } = o.rows;
  for (const k of ['p50', 'p95']) {
    const v = ratio(pg, r, k);
    openTable.push([o.label, k, ms(med(pg, k)), ms(med(r, k)), v.toFixed(3)]);
    goals.push({ what: `${o.label}: ${k} within ±5 % of an evenly paced raw client`, ok: within(v, 0.05), value: `×${v.toFixed(3)}` });
  }
  openTable.push([o.label, 'req/s', med(pg, 'rps').toFixed(1), med(r, 'rps').toFixed(1), ratio(pg, r, 'rps').toFixed(3)]);
  openTable.push([o.label, 'late sends (all rounds)', String(pg.reduce((a, x) => a + x.late, 0)), '', '']);
  const errs = pg.reduce((a, x) => a + x.errors, 0);
  goals.push({ what: `${o.label}: no errors`, ok: errs === 0, value: `${errs} errors` });
}
goals.push({
  what: 'keep-alive, fixed work ≈ 1 ms: p50 and p95 within ±2 % of the raw hrtime client',
  ok: within(tools.fidelity.p50.ratio, 0.02) && within(tools.fidelity.p95.ratio, 0.02),
  value: `p50 ×${tools.fidelity.p50.ratio.toFixed(3)}, p95 ×${tools.fidelity.p95.ratio.toFixed(3)}`,
});
goals.push({
  what: 'keep-alive, cheap endpoint: throughput ≥ 0.90 of the autocannon CLI',
  ok: tools.overhead.perfgate / tools.overhead.autocannonCli >= 0.9,
  value: `×${(tools.overhead.perfgate / tools.overhead.autocannonCli).toFixed(3)}`,
});

const toolTables = renderTools(tools, p);
// What the rows mean, written once from the full run of 2026-12-02 (figures quoted from it).
const READING = [
  '',
  '## Reading the rows',
  '',
  '- **Why ±5 % is missed on sub-millisecond rows.** On the open-model rows the service answers in',
  "  0.15–0.5 ms, so ±5 % is 8–25 µs: less than one client's own work per response. perfgate reads",
  "  the clock when a response's last chunk arrives, before parsing it; the raw client reads it after",
  '  its own buffer handling; so perfgate sits a few µs lower (p50 −13 µs and −21 µs here). That is',
  "  the clients' reading point, not pacing: both send evenly, and perfgate's late sends are 0 at",
  '  1,000 connections and a handful at 50 (requests due while all 50 were busy, counted from when',
  '  due). Before this engine, the same 1,000-connection scenario read p95 174–193 ms from',
  '  per-second bursts.',
  "- **Why a saturated closed loop differs between clients.** gunicorn's 3 sync workers behind 8",
  "  connections are saturated: latency is then mostly waiting in gunicorn's accept queue, and how",
  "  many requests wait depends on how fast each client reconnects (Little's law). wrk (C) opens the",
  '  next connection sooner than either Node client, keeps more requests queued, and so reads both',
  '  more req/s and higher latency. Against the raw client, which keeps the same pace as perfgate',
  '  (throughput ×0.98), p50 and p95 are within 5.4 %. Unsaturated (2 connections) the same holds the',
  "  other way round: a gunicorn worker that went to sleep between a slower client's requests wakes",
  '  more slowly, so the service itself is slower for a Node client than for wrk. Recording fidelity',
  '  is what the fixed-work keep-alive row measures (same throughput for both clients): ×0.999 and',
  '  ×0.996.',
  '- **What changed for these servers.** With autocannon as the engine, the same Flask app under',
  '  gunicorn read p50 785 ms with 7.7 % connection errors (autocannon wrote the next request on a',
  '  connection the server was closing and attributed responses to the wrong requests); now p50 is',
  '  within 5 % of the reference client with zero errors, and every response is counted on its own',
  '  connection.',
  '',
].join('\n');
const md = `# Fidelity on servers perfgate did not write

- Machine: ${machine()}
- Date: ${new Date().toISOString()}
- Command: \`npm run bench:fidelity${quick ? ' -- --quick' : ''}\` (${ROUNDS} interleaved rounds of ${DURATION / 1000} s per client and row; medians of the rounds, ratios are medians of per-round ratios; ${Math.round((Date.now() - started) / 1000)} s in all)
- Clients: perfgate's load engine (\`src/load/\`); \`wrk -t1\` (Debian's wrk 4, p50/p95 from its own histogram via a Lua \`done\` hook); a raw socket client (\`bench/raw-client.mjs\`: node:net, the least parsing that finds a response's end, every latency kept). Each times a request from its bytes being written on a connected socket to its response read; a new connection's handshake is not in latency.

## Goals

${table(
  ['Goal', 'Measured', 'Status'],
  goals.map((g) => [g.what, g.value, g.ok ? '✅ met' : '❌ not met']),
)}

## (a) Closed model: servers that close the connection after every response, and one over TLS

${table(['Server', 'Figure', 'perfgate', 'wrk', 'raw client', 'perfgate ÷ wrk', 'perfgate ÷ raw'], closedTable)}

## (b) The open model: 1,000 req/s, evenly paced

${table(['Setting', 'Figure', 'perfgate', 'evenly paced raw client', 'perfgate ÷ raw'], openTable)}

## (c) Keep-alive rows (as in RESULTS.md)

${toolTables.fidelity}

${toolTables.overhead}
${READING}`;
writeFileSync(join(ROOT, 'bench', quick ? 'RESULTS-fidelity-quick.md' : 'RESULTS-fidelity.md'), md);
process.stdout.write(md);
