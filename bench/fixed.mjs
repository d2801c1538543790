// Fixed costs of a gate run: wall time minus configured load (start, ready, analysis, report,
// teardown), analysis over a 1000-run history, and perfgate's own peak RSS at 1000 connections.
// Usage: node bench/fixed.mjs [--quick]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO, median, profileFromArgs, ROOT, table } from './lib.mjs';

const CLI = join(ROOT, 'dist', 'cli', 'index.js');

function runCli(config, out, sampleRss = false) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [CLI, 'run', '-c', config, '-o', out, '--no-save'], { stdio: 'ignore' });
    let peak = 0;
    const timer = sampleRss
      ? setInterval(() => {
          try {
            const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]);
            if (kb * 1024 > peak) peak = kb * 1024;
          } catch {
            // exited
          }
        }, 50)
      : undefined;
    child.on('close', (code) => {
      if (timer) clearInterval(timer);
      resolve({ code, ms: Number(process.hrtime.bigint() - t0) / 1e6, peak });
    });
  });
}

export async function measureFixed(p) {
  const dir = mkdtempSync(join(tmpdir(), 'perfgate-fixed-'));
  try {
    // One scenario, 1 s warm-up + 2 × 2 s trials = 5 s of configured load.
    const small = join(dir, 'small.yml');
    writeFileSync(
      small,
      `service: { command: node ${JSON.stringify(DEMO)}, ready: { http: /health } }\nhistory: { store: none }\nload: { connections: 10, warmup: 1s, trials: 2, duration: 2s }\nscenarios: [ { name: p, request: { path: /api/products } } ]\ntargets: [ "rate(errors) < 1%" ]\n`,
    );
    const walls = [];
    for (let i = 0; i < (p.name === 'quick' ? 2 : 5); i++) walls.push((await runCli(small, join(dir, `o${i}`))).ms - 5000);
    // 1000 connections, open model (as the root perfgate.yml's concurrency scenario).
    const big = join(dir, 'big.yml');
    writeFileSync(
      big,
      `service: { command: node ${JSON.stringify(DEMO)}, ready: { http: /health } }\nhistory: { store: none }\nload: { connections: 1000, warmup: 1s, trials: 2, duration: 3s }\nscenarios: [ { name: c, request: { path: /api/products }, rate: 1000 } ]\n`,
    );
    const rss = await runCli(big, join(dir, 'big'), true);
    const hist = execFileSync(process.execPath, [join(ROOT, 'bench', 'history.mjs')], {
      encoding: 'utf8',
      env: { ...process.env, REPEATS: '11' },
    });
    const analysisMs = Number(/\| baseline selection \+ analysis \| ([\d.]+) \|/.exec(hist)?.[1]);
    const loadMs = Number(/\| load 1000 files from the dir store \| ([\d.]+) \|/.exec(hist)?.[1]);
    return { fixedMs: median(walls), walls, peakRss: rss.peak, analysisMs, loadMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function renderFixed(f) {
  return table(
    ['Cost', 'Measured'],
    [
      [
        '`perfgate run` wall time minus configured load (median)',
        `${(f.fixedMs / 1000).toFixed(2)} s (runs: ${f.walls.map((w) => (w / 1000).toFixed(2)).join(', ')} s)`,
      ],
      ['baseline selection + analysis, 1000 stored runs (median)', `${f.analysisMs} ms (+ ${f.loadMs} ms to read the 1000 files)`],
      ["perfgate's own peak RSS at 1000 connections", `${(f.peakRss / 2 ** 20).toFixed(0)} MB`],
    ],
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(renderFixed(await measureFixed(profileFromArgs())));
}
