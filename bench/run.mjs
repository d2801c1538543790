// Runs every benchmark of the gate itself and writes bench/RESULTS.md (machine, date, command,
// tables, and each goal met or not). `npm run bench` (full) or `npm run bench:quick` (writes RESULTS-quick.md).
// --skip-collect reuses bench/data/trials-<profile>.json instead of measuring trials again.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { measureFixed, renderFixed } from './fixed.mjs';
import { machine, pct, profileFromArgs, ROOT, table } from './lib.mjs';
import { measureTools, renderTools } from './measure-tools.mjs';
import { analyse, loadData, render } from './verdicts.mjs';

const p = profileFromArgs();
const command = `npm run ${p.name === 'quick' ? 'bench:quick' : 'bench'}${process.argv.includes('--skip-collect') ? ' -- --skip-collect' : ''}`;
const dataFile = join(ROOT, 'bench', 'data', `trials-${p.name}.json`);
if (!process.argv.includes('--skip-collect') || !existsSync(dataFile)) {
  execFileSync(process.execPath, [join(ROOT, 'bench', 'collect.mjs'), ...(p.name === 'quick' ? ['--quick'] : [])], { stdio: 'inherit' });
}
const data = loadData(p.name);
process.stderr.write('bench: replaying verdicts\n');
const v = analyse(data);
const verdictTables = render(data, v);
process.stderr.write('bench: fidelity and overhead\n');
const tools = await measureTools(p);
const toolTables = renderTools(tools, p);
process.stderr.write('bench: fixed costs\n');
const fixed = await measureFixed(p);

// A goal "at +X %" is judged at the smallest SLOWDOWN whose measured p50 change reaches X: the
// knob scales handler time, so SLOWDOWN 0.20 is not a 20 % slower response.
const reaching = (x) => v.power.filter((r) => r.effect >= x).sort((a, b) => a.effect - b.effect)[0];
const at10 = reaching(0.1);
const at20 = reaching(0.2);
const goal = (ok) => (ok === null ? 'not measured' : ok ? '✅ met' : '❌ not met');
const goals = table(
  ['Goal', 'Measured', 'Status'],
  [
    [
      'A/A false-fail ≤ 1 % per PR (A/B)',
      `${pct(v.aa.ab.fail.rate)} (95 % CI up to ${pct(v.aa.ab.fail.ci[1])})`,
      goal(v.aa.ab.fail.rate <= 0.01),
    ],
    [
      'A/A false-fail ≤ 1 % per PR (history)',
      `${pct(v.aa.history.fail.rate)} (95 % CI up to ${pct(v.aa.history.fail.ci[1])})`,
      goal(v.aa.history.fail.rate <= 0.01),
    ],
    [
      'A/B power ≥ 95 % at +10 % with ≤ 20 trials per side',
      at10
        ? `${pct(at10.ab.rate)} at SLOWDOWN ${at10.level} (measured p50 +${pct(at10.effect)}), ≤ ${at10.ab.max} trials per side`
        : 'no level reached +10 %',
      goal(at10 ? at10.ab.rate >= 0.95 && at10.ab.max <= 20 : null),
    ],
    [
      'history-mode power ≥ 90 % at +20 %',
      at20 ? `${pct(at20.history.rate)} at SLOWDOWN ${at20.level} (measured p50 +${pct(at20.effect)})` : 'no level reached +20 %',
      goal(at20 ? at20.history.rate >= 0.9 : null),
    ],
    [
      'fidelity within ±2 % at 1 µs resolution',
      `p50 ×${tools.fidelity.p50.ratio.toFixed(3)}, p95 ×${tools.fidelity.p95.ratio.toFixed(3)} vs a raw hrtime client`,
      goal(Math.abs(tools.fidelity.p50.ratio - 1) <= 0.02 && Math.abs(tools.fidelity.p95.ratio - 1) <= 0.02),
    ],
    ['overhead ratio ≥ 0.90', `${tools.overhead.ratio.toFixed(3)} of autocannon CLI's req/s`, goal(tools.overhead.ratio >= 0.9)],
    ['fixed overhead ≤ 3 s', `${(fixed.fixedMs / 1000).toFixed(2)} s`, goal(fixed.fixedMs <= 3000)],
    ['1000-run analysis ≤ 100 ms', `${fixed.analysisMs} ms`, goal(fixed.analysisMs <= 100)],
  ],
);

const md = `# How much to trust a verdict: benchmarks of perfgate itself

- Machine: ${machine()}
- Date: ${new Date().toISOString()}
- Command: \`${command}\` (profile "${p.name}": ${p.durationMs / 1000} s trials, ${p.warmupMs / 1000} s warm-up, ${p.connections} connections, closed model, demo \`GET /api/products\`)
- Trial data: \`bench/data/trials-${p.name}.json\` (${data.jobs.length} independent jobs × ${data.profile.trialsPerJob} trials; one interleaved A/B job per SLOWDOWN level, ${data.profile.abTrialsPerSide} trials per side; collected ${data.date} in ${data.seconds} s). Re-run the analysis alone with \`node bench/run.mjs${p.name === 'quick' ? ' --quick' : ''} --skip-collect\`.

## Goals

${goals}

## False alarms (A/A)

The same build on both sides. Trials are resampled only within the job (service start) that produced them; a PR "fails" when perfgate's procedure ends with any regression.

${verdictTables.aa}

## Detection power

\`SLOWDOWN\` adds CPU busy-work to each request's handler; the measured p50 change is what the load generator saw. A/B: perfgate's sequential procedure on bootstrap resamples of one interleaved base/head job. History: 5 head trials as the PR against the ${data.jobs.length} same-build jobs as stored runs.

${verdictTables.power}

## Fidelity

${toolTables.note}

${toolTables.fidelity}

## Harness overhead

${toolTables.overhead}

## Fixed costs

${renderFixed(fixed)}
${carried('RESULTS-fidelity.md', 'Fidelity on servers perfgate did not write', 'npm run bench:fidelity')}${carried('RESULTS-ab-quiet.md', 'A/B: which metrics gate, and how often an unchanged PR ends quiet', 'npm run bench:ab-quiet')}${carried('RESULTS-ab-demo.md', 'A/B pull requests on the demo, real commits', 'npm run bench:ab-demo')}${carried('RESULTS-history-gate.md', 'History mode with a noisy neighbour', 'npm run bench:history-gate')}`;
writeFileSync(join(ROOT, 'bench', p.name === 'quick' ? 'RESULTS-quick.md' : 'RESULTS.md'), md);
console.log(md);

/** The tables of a benchmark with its own command and results file, carried into RESULTS.md. */
function carried(name, title, command) {
  const file = join(ROOT, 'bench', name);
  if (!existsSync(file)) return '';
  const body = readFileSync(file, 'utf8')
    .replace(/^# .*\n/, '')
    .replace(/^## /gm, '### ');
  return `\n## ${title} (from \`${command}\`, bench/${name})\n${body}`;
}
