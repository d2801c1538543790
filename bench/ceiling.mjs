// The throughput ceiling of the load generator itself: nginx (Debian's nginx-light, one worker)
// serving a 1 KB file to 16 keep-alive connections, so that the client, not the server, is what
// runs out of CPU. Side by side in one run, rounds interleaved (this machine moves whole runs by
// 10–20 %): perfgate's engine in one process and over load.processes 2, the undici candidate
// wire layer behind the same trial contract (bench/undici-trial.mjs), `wrk -t1`, and the
// autocannon CLI. Every round's figures are printed; ratios are medians of per-round ratios.
// Usage: npm run bench:ceiling [-- --quick]   → bench/RESULTS-ceiling.md
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTrial } from '../build/load/trial.js';
import { LoadPool } from '../build/load/processes.js';
import { freePort } from '../build/service/port.js';
import { startUndiciTrial } from './undici-trial.mjs';
import { machine, median, ROOT, table } from './lib.mjs';
import { autocannonCliRun } from './measure-tools.mjs';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 2 : 5;
const DURATION = quick ? 2000 : 5000;
const CONNECTIONS = 16;

async function startNginx() {
  const dir = mkdtempSync(join(tmpdir(), 'perfgate-nginx-'));
  mkdirSync(join(dir, 'www'));
  writeFileSync(join(dir, 'www', '1k.txt'), 'x'.repeat(1024));
  // nginx's worker drops root: the files must be readable by others.
  chmodSync(dir, 0o755);
  const port = await freePort();
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  server {
    listen 127.0.0.1:${port};
    root ${dir}/www;
  }
}
`,
  );
  const child = spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((r) =>
      http.get(`${url}/1k.txt`, (res) => (res.resume(), r(res.statusCode === 200))).on('error', () => r(false)),
    );
    if (ok) return { url, stop: () => child.kill('SIGTERM') };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('nginx did not start (apt-get install nginx-light)');
}

const scenario = (processes = 1) => ({
  name: 'ceiling',
  kind: 'request',
  steps: [{ name: '1k', method: 'GET', path: '/1k.txt', headers: {}, capture: {} }],
  connections: CONNECTIONS,
  warmupMs: 0,
  trials: 1,
  durationMs: DURATION,
  timeoutMs: DURATION,
  processes,
});

const tools = {
  'perfgate (1 process)': async (url) => figures((await startTrial(url, scenario(), DURATION).done).result),
  'perfgate (load.processes 2)': async (url) => {
    const pool = new LoadPool(2);
    try {
      return figures((await pool.start(url, scenario(2), DURATION).done).result);
    } finally {
      await pool.close();
    }
  },
  'undici (candidate)': async (url) => figures((await startUndiciTrial(url, scenario(), DURATION).done).result),
  'wrk -t1': async (url) => {
    const out = execFileSync('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${DURATION / 1000}s`, '--latency', `${url}/1k.txt`], {
      encoding: 'utf8',
    });
    return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]), errors: /Non-2xx|Socket errors/.test(out) ? out : 0 };
  },
  'autocannon CLI': async (url) => autocannonCliRun(`${url}/1k.txt`, CONNECTIONS, DURATION),
};

function figures(r) {
  return { rps: r.rps, errors: r.errors.total };
}

const nginx = await startNginx();
const rounds = [];
try {
  // One untimed pass warms nginx's file cache and the JIT of the in-process clients.
  await startTrial(nginx.url, scenario(), 1000).done;
  for (let round = 0; round < ROUNDS; round++) {
    const row = {};
    const order = Object.keys(tools);
    if (round % 2) order.reverse();
    for (const name of order) {
      row[name] = await tools[name](nginx.url);
      process.stderr.write(`round ${round + 1}/${ROUNDS} ${name}: ${Math.round(row[name].rps)} req/s\n`);
    }
    rounds.push(row);
  }
} finally {
  nginx.stop();
}

const names = Object.keys(tools);
const perRound = rounds.map((row, i) => [`round ${i + 1}`, ...names.map((n) => Math.round(row[n].rps).toLocaleString('en-US'))]);
const ratio = (n) => rounds.map((row) => row[n].rps / row['wrk -t1'].rps);
const summary = names.map((n) => [
  n,
  Math.round(median(rounds.map((r) => r[n].rps))).toLocaleString('en-US'),
  ratio(n)
    .map((x) => x.toFixed(3))
    .join(', '),
  median(ratio(n)).toFixed(3),
  String(rounds.reduce((a, r) => a + (typeof r[n].errors === 'number' ? r[n].errors : 1), 0)),
]);
const md = `# Load generator ceiling: nginx, one worker, a 1 KB file, ${CONNECTIONS} connections

${machine()}. \`npm run bench:ceiling${quick ? ' -- --quick' : ''}\`: ${ROUNDS} interleaved rounds of ${DURATION / 1000} s per tool
(order reversed every other round), nginx's default keep-alive (1,000 requests per connection).

## Every round (req/s)

${table(['round', ...names], perRound)}

## Summary

The ratio is each tool's req/s over \`wrk -t1\`'s **in the same round**; the column shows every
round's ratio and their median (the median req/s alone would mix rounds).

${table(['tool', 'median req/s', 'ratio to wrk -t1, per round', 'median ratio', 'errors'], summary)}
`;
writeFileSync(join(ROOT, 'bench', `RESULTS-ceiling${quick ? '-quick' : ''}.md`), md);
console.log(md);
