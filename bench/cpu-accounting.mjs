// Is the CPU time of threads and processes that exit during a trial counted? The same handler
// (SHA-256 rounds) behind servers whose threads or processes come and go, loaded by the raw
// reference client; over every trial the service's CPU time per request is read three ways at
// the same boundaries: the cgroup perfgate runs the service in (the kernel's own total, the
// reference), perfgate's /proc reading (live threads' schedstat, plus the exited threads' and
// reaped children's time from /proc/PID/stat), and the live-threads-only sum perfgate used
// before. Writes bench/RESULTS-cpu-accounting.md.
//   npm run bench:cpu-accounting [-- --quick]
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, machine } from './lib.mjs';
import { rawClosed } from './raw-client.mjs';
import { startService } from '../build/service/process.js';
import { readCpu, cpuBetween, treeCpu } from '../build/service/cpu-time.js';
import { freePort } from '../build/service/port.js';
import { median } from '../build/stats/robust.js';

const quick = process.argv.includes('--quick');
const TRIALS = quick ? 3 : 8;
const DURATION_MS = quick ? 2000 : 3000;
const FIXTURE = join(ROOT, 'fixtures', 'thread-per-request', 'server.py');
const FLASK = join(ROOT, 'fixtures', 'flask-hash-app');

const SERVERS = [
  { name: 'http.server HTTPServer (one thread)', command: `python3 ${FIXTURE}`, env: { SERVER: 'http.server' }, path: '/work' },
  {
    name: 'http.server ThreadingHTTPServer (a thread per request)',
    command: `python3 ${FIXTURE}`,
    env: { SERVER: 'threading' },
    path: '/work',
  },
  {
    name: 'Flask threaded=True (werkzeug, a thread per request)',
    command: `python3 ${FIXTURE}`,
    env: { SERVER: 'werkzeug' },
    path: '/work',
  },
  {
    name: 'gunicorn + Flask, 2 workers, --max-requests 20',
    command: 'gunicorn -w 2 --max-requests 20 -b 127.0.0.1:$PORT app:app',
    cwd: FLASK,
    env: { HASH_ROUNDS: '2000' },
    path: '/items',
  },
];

/** What perfgate counted before: the live threads' schedstat only, a process clamped at 0. */
function liveOnly(before, after) {
  let ns = 0;
  for (const [pid, p] of after.byPid) ns += Math.max(0, (p.sched ?? 0) - (before.byPid.get(pid)?.sched ?? 0));
  return ns;
}

async function waitUp(url) {
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} never answered`);
}

const rows = [];
for (const s of SERVERS) {
  const port = await freePort();
  const svc = startService({ command: s.command, cwd: s.cwd ?? ROOT, env: { ...process.env, ...s.env, PORT: String(port) } });
  if (!svc.cgroup) throw new Error('no cgroup could be made here: the reference needs one (run as root, or with a delegated cgroup)');
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUp(`${url}/health`);
    await rawClosed(url + s.path, { connections: 4, durationMs: 1000 });
    const per = { cgroup: [], proc: [], live: [] };
    for (let i = 0; i < TRIALS; i++) {
      const [g0, p0] = [await readCpu(svc), await treeCpu(svc.pid)];
      const f = await rawClosed(url + s.path, { connections: 4, durationMs: DURATION_MS });
      const [g1, p1] = [await readCpu(svc), await treeCpu(svc.pid)];
      const n = f.requests;
      per.cgroup.push(cpuBetween(g0, g1) / 1000 / n);
      per.proc.push(cpuBetween(p0, p1) / 1000 / n);
      per.live.push(liveOnly(p0, p1) / 1000 / n);
    }
    const m = (xs) => median(xs);
    const range = (xs) => `${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))}`;
    rows.push({ name: s.name, cgroup: m(per.cgroup), proc: m(per.proc), live: m(per.live), ranges: per, range });
    console.log(
      s.name,
      JSON.stringify({ cgroup: per.cgroup.map(Math.round), proc: per.proc.map(Math.round), live: per.live.map(Math.round) }),
    );
  } finally {
    await svc.stop(3000);
  }
}

const fmt = (x) => `${Math.round(x)}`;
const ratio = (a, b) => `${(a / b).toFixed(3)}`;
const lines = [
  '# CPU time of threads and processes that exit during a trial',
  '',
  `Made by \`npm run bench:cpu-accounting${quick ? ' -- --quick' : ''}\` on ${machine()}, ${new Date().toISOString().slice(0, 10)}.`,
  `${TRIALS} trials of ${DURATION_MS / 1000} s per server, 4 connections of the raw reference client, the same handler (2,000 SHA-256 rounds per request).`,
  'Per trial, CPU time per request (µs) read at the same boundaries three ways: the cgroup perfgate runs the service in',
  "(the kernel's total of everything in it: the reference), perfgate's /proc reading (where no cgroup can be made, as for an",
  "unprivileged user on a hosted runner), and the live threads' schedstat alone (what perfgate counted before). Medians, then",
  'each against the cgroup.',
  '',
  '| server | cgroup µs/request | /proc µs/request | ÷ cgroup | live threads only µs/request | ÷ cgroup |',
  '|---|---:|---:|---:|---:|---:|',
  ...rows.map(
    (r) =>
      `| ${r.name} | ${fmt(r.cgroup)} (${r.range(r.ranges.cgroup)}) | ${fmt(r.proc)} (${r.range(r.ranges.proc)}) | ${ratio(r.proc, r.cgroup)} | ${fmt(r.live)} (${r.range(r.ranges.live)}) | ${ratio(r.live, r.cgroup)} |`,
  ),
  '',
];
writeFileSync(join(ROOT, 'bench', 'RESULTS-cpu-accounting.md'), lines.join('\n'));
console.log(lines.join('\n'));
