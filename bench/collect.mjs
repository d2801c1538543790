// Collects the trial data the false-alarm and power analyses resample, into bench/data/:
// - J independent jobs of the same build (a fresh service each), T trials each;
// - per SLOWDOWN level, one interleaved A/B job (base vs head with the knob), as A/B mode runs it.
// Usage: node bench/collect.mjs [--quick] [--append --levels=0.35,0.5]   (after tsc; `npm run bench` does both)
// --append keeps the recorded jobs and adds interleaved A/B jobs for the given levels.
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../build/config/load.js';
import { trialFigures } from '../build/contract/record.js';
import { measureOnce } from '../build/pipeline/measure.js';
import { measureAb } from '../build/pipeline/measure-ab.js';
import { demoYaml, machine, profileFromArgs, ROOT } from './lib.mjs';

const p = profileFromArgs();
const quiet = { info: (m) => process.stderr.write(`${m}\n`), live: () => {} };
const ctx = (log) => ({
  env: process.env,
  runId: randomUUID(),
  serviceLog: null,
  baseLog: null,
  progress: quiet,
  display: (x) => x,
  ...log,
});
const started = Date.now();

const append = process.argv.includes('--append');
const levelsArg = process.argv.find((a) => a.startsWith('--levels='));
const levels = levelsArg ? levelsArg.slice('--levels='.length).split(',').map(Number) : p.levels;
const file = join(ROOT, 'bench', 'data', `trials-${p.name}.json`);
const previous = append ? JSON.parse(readFileSync(file, 'utf8')) : null;

const jobs = previous ? previous.jobs : [];
for (let j = 0; j < (previous ? 0 : p.jobs); j++) {
  process.stderr.write(`bench: job ${j + 1}/${p.jobs} (same build, ${p.trialsPerJob} trials)\n`);
  const config = parseConfig(demoYaml(p), join(ROOT, 'bench.yml'));
  const m = await measureOnce(config, ctx({}));
  if (m.failure) throw new Error(m.failure.message);
  jobs.push({ id: `job-${j + 1}`, startedAt: m.scenarios[0].trials[0].startedAt, trials: m.scenarios[0].trials.map(trialFigures) });
}

const ab = previous ? previous.ab.filter((x) => !levels.includes(x.level)) : [];
for (const level of levels) {
  process.stderr.write(`bench: interleaved A/B job, head SLOWDOWN=${level}, ${p.abTrialsPerSide} trials per side\n`);
  const config = parseConfig(demoYaml(p, { headEnv: { SLOWDOWN: level }, baseEnv: {} }), join(ROOT, 'bench.yml'));
  config.ab = { minTrials: p.abTrialsPerSide, maxTrials: p.abTrialsPerSide, step: p.abTrialsPerSide, budgetMs: Number.MAX_SAFE_INTEGER };
  const m = await measureAb(config, ctx({}));
  if (m.failure) throw new Error(m.failure.message);
  ab.push({
    level,
    order: m.ab.order,
    base: m.ab.base.scenarios[0].trials.map(trialFigures),
    head: m.scenarios[0].trials.map(trialFigures),
  });
}

ab.sort((a, b) => a.level - b.level);
mkdirSync(join(ROOT, 'bench', 'data'), { recursive: true });
const seconds = Math.round((Date.now() - started) / 1000) + (previous?.seconds ?? 0);
writeFileSync(
  file,
  `${JSON.stringify({ profile: { ...p, levels: ab.map((x) => x.level) }, machine: machine(), date: new Date().toISOString(), seconds, jobs, ab }, null, 1)}\n`,
);
process.stderr.write(`bench: wrote ${file} in ${Math.round((Date.now() - started) / 1000)} s\n`);
