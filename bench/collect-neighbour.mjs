// Collects history-mode runs with a noisy neighbour, into bench/data/trials-neighbour.json: J
// independent runs of the same build (a fresh service each, perfgate's default 5 trials of 5 s at
// 10 connections), and in a seeded half of them a CPU-bound process on the same cores for part of
// the run (it starts at a random moment and lasts 5–20 s), as a shared CI runner has. The history
// analysis (bench/history-gate.mjs) resamples these runs: one as the PR, others as stored runs.
// Usage: node bench/collect-neighbour.mjs [--jobs 24]   (after tsc; npm run bench:history-gate does both)
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseConfig } from '../build/config/load.js';
import { trialFigures } from '../build/contract/record.js';
import { measureOnce } from '../build/pipeline/measure.js';
import { createRng } from '../build/stats/rng.js';
import { demoYaml, machine, PROFILES, ROOT } from './lib.mjs';

const { values } = parseArgs({ options: { jobs: { type: 'string', default: '24' } } });
const J = Number(values.jobs);
const p = { ...PROFILES.full, trialsPerJob: 5 };
const rng = createRng(20261216);
const progress = { info: (m) => process.stderr.write(`${m}\n`), live: () => {} };
const started = Date.now();
// The run lasts about warm-up + 5 trials of 5 s.
const runMs = p.warmupMs + p.trialsPerJob * p.durationMs;

/** A CPU-bound neighbour: one busy core, from `delayMs` for `forMs`. */
function neighbour(delayMs, forMs) {
  let child;
  const on = setTimeout(() => {
    child = spawn(process.execPath, ['-e', `const end = Date.now() + ${forMs}; while (Date.now() < end) {}`], { stdio: 'ignore' });
  }, delayMs);
  return () => {
    clearTimeout(on);
    child?.kill('SIGKILL');
  };
}

const jobs = [];
for (let j = 0; j < J; j++) {
  const busy = rng.next() < 0.5;
  const forMs = busy ? 5000 + Math.round(rng.next() * 15_000) : 0;
  const delayMs = busy ? Math.round(rng.next() * Math.max(0, runMs - forMs)) : 0;
  process.stderr.write(`bench: run ${j + 1}/${J}${busy ? ` (neighbour from ${delayMs / 1000} s for ${forMs / 1000} s)` : ''}\n`);
  const config = parseConfig(demoYaml(p), join(ROOT, 'bench.yml'));
  const stop = busy ? neighbour(delayMs, forMs) : () => {};
  let m;
  try {
    m = await measureOnce(config, { env: process.env, runId: randomUUID(), serviceLog: null, progress, display: (x) => x });
  } finally {
    stop();
  }
  if (m.failure) throw new Error(m.failure.message);
  jobs.push({
    id: `run-${j + 1}`,
    startedAt: m.scenarios[0].trials[0].startedAt,
    neighbour: busy ? { fromMs: delayMs, forMs } : null,
    trials: m.scenarios[0].trials.map(trialFigures),
  });
}

mkdirSync(join(ROOT, 'bench', 'data'), { recursive: true });
const file = join(ROOT, 'bench', 'data', 'trials-neighbour.json');
const seconds = Math.round((Date.now() - started) / 1000);
writeFileSync(
  file,
  `${JSON.stringify({ profile: { name: 'neighbour', ...p, jobs: J }, machine: machine(), date: new Date().toISOString(), seconds, jobs }, null, 1)}\n`,
);
process.stderr.write(`bench: wrote ${file} in ${seconds} s\n`);
