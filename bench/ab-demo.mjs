// A/B pull requests on the demo with real commits: a temporary repository holds the demo service
// and its perfgate.yml (the root demo config), then a commit that changes only a README (an
// unchanged PR) and a commit that slows the handler by a code change. Each PR is
// `perfgate run --against HEAD~1` with the bundled CLI, as a developer would run it; the table
// says how each ended (quiet = every gating comparison a confident pass), the trials per side,
// why sampling stopped and the wall time of the whole run, and what the head's p95 target read
// (judged on the head alone after the pairs) beside `--plain N` plain runs of the same build.
// `--neighbour`: a CPU-bound process runs beside every run.
// Usage: node bench/ab-demo.mjs [--unchanged N] [--slowed N] [--slowdown F] [--plain N] [--neighbour]   (after npm run build)
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchRepo, docsOnlyCommit, machine, median, ROOT, table } from './lib.mjs';

const { values } = parseArgs({
  options: {
    unchanged: { type: 'string', default: '5' },
    slowed: { type: 'string', default: '1' },
    slowdown: { type: 'string', default: '0.2' },
    plain: { type: 'string', default: '0' },
    neighbour: { type: 'boolean', default: false },
  },
});
const TARGET = 'API response time (p95)';
const noise = values.neighbour ? spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }) : null;
process.on('exit', () => noise?.kill());
const CLI = join(ROOT, 'dist', 'cli', 'index.js');
const dir = mkdtempSync(join(tmpdir(), 'perfgate-ab-demo-'));
mkdirSync(join(dir, 'fixtures', 'demo-service'), { recursive: true });
copyFileSync(join(ROOT, 'fixtures', 'demo-service', 'server.js'), join(dir, 'fixtures', 'demo-service', 'server.js'));
copyFileSync(join(ROOT, 'perfgate.yml'), join(dir, 'perfgate.yml'));
const git = benchRepo(dir, 'the demo');
docsOnlyCommit(dir, git);
const unchanged = git('rev-parse', 'HEAD');
const server = join(dir, 'fixtures', 'demo-service', 'server.js');
const source = readFileSync(server, 'utf8');
const knob = 'const SLOWDOWN = Number(env.SLOWDOWN ?? 0);';
if (!source.includes(knob)) throw new Error(`the demo service no longer reads ${knob}`);
writeFileSync(server, source.replace(knob, `const SLOWDOWN = Number(env.SLOWDOWN ?? ${Number(values.slowdown)});`));
git('commit', '-q', '-am', 'more work per request');
const slowed = git('rev-parse', 'HEAD');

function pr(sha) {
  git('checkout', '-q', sha === 'plain' ? unchanged : sha);
  rmSync(join(dir, '.perfgate'), { recursive: true, force: true });
  const started = Date.now();
  const env = { ...process.env };
  delete env.GITHUB_ACTIONS;
  delete env.GITHUB_EVENT_NAME;
  const run = spawnSync(process.execPath, [CLI, 'run', ...(sha === 'plain' ? [] : ['--against', 'HEAD~1']), '--no-save'], {
    cwd: dir,
    encoding: 'utf8',
    env,
  });
  const wall = (Date.now() - started) / 1000;
  const result = JSON.parse(readFileSync(join(dir, '.perfgate', 'result.json'), 'utf8'));
  const ab = result.ab;
  const gating = (ab?.comparisons ?? []).filter((c) => c.gating !== false);
  return {
    exit: run.status,
    wall,
    verdict: result.verdict,
    trials: ab?.trialsPerSide ?? 0,
    abSeconds: ab ? ab.elapsedMs / 1000 : null,
    aloneSeconds: ab?.headAlone ? ab.headAlone.ms / 1000 : 0,
    targetP95: result.targets.find((t) => t.name === TARGET)?.measured ?? null,
    quiet: gating.length > 0 && gating.every((c) => c.outcome === 'confident pass'),
    regressions: gating
      .filter((c) => c.outcome === 'regression')
      .map((c) => `${c.metric} of ${c.scenario} ${(c.change * 100).toFixed(1)} %`),
    open: gating.filter((c) => c.outcome === 'inconclusive').map((c) => `${c.metric} of ${c.scenario}`),
    stopped: ab?.stoppedBecause ?? result.reason,
    p95: gating
      .filter((c) => c.metric === 'p95')
      .map((c) => `${c.scenario} ${(c.change * 100).toFixed(1)} %`)
      .join(', '),
  };
}

const rows = [];
const runs = { unchanged: [], slowed: [] };
for (const [kind, sha, n] of [
  ['unchanged', unchanged, Number(values.unchanged)],
  ['slowed', slowed, Number(values.slowed)],
])
  for (let i = 0; i < n; i++) {
    const r = pr(sha);
    runs[kind].push(r);
    process.stderr.write(
      `${kind} ${i + 1}/${n}: exit ${r.exit}, ${r.wall.toFixed(0)} s, ${r.trials} trials per side; ${r.stopped}; open: ${r.open.join(', ') || '–'}; regressions: ${r.regressions.join(', ') || '–'}; p95 ${r.p95}\n`,
    );
    rows.push([
      kind === 'unchanged' ? 'docs-only commit' : `SLOWDOWN ${values.slowdown} in code`,
      `${r.verdict} (exit ${r.exit})`,
      r.quiet ? 'quiet' : r.regressions.length ? `regression: ${r.regressions.join('; ')}` : `inconclusive: ${r.open.join('; ')}`,
      String(r.trials),
      r.p95 || '–',
      `${r.wall.toFixed(0)} s`,
      r.stopped,
    ]);
  }
// Plain runs of the unchanged build: what its p95 target reads when nothing shares its CPU.
const plain = Array.from({ length: Number(values.plain) }, (_, i) => {
  const r = pr('plain');
  process.stderr.write(`plain ${i + 1}/${values.plain}: ${r.wall.toFixed(0)} s; ${TARGET} ${r.targetP95} ms\n`);
  return r;
});
git('checkout', '-q', 'main');
rmSync(dir, { recursive: true, force: true });
noise?.kill();
const range = (xs) => (xs.length ? `${median(xs).toFixed(2)} ms (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})` : '–');
const judged = runs.unchanged.map((r) => r.targetP95).filter((x) => x !== null);
const plainP95 = plain.map((r) => r.targetP95).filter((x) => x !== null);

const quiet = runs.unchanged.filter((r) => r.quiet).length;
const md = `# A/B pull requests on the demo, real commits

- Machine: ${machine()}; date: ${new Date().toISOString()}
- A temporary repository with the demo service and the root \`perfgate.yml\` (three compared scenarios; the stress ramp runs on the head only); each PR is \`perfgate run --against HEAD~1\` with \`dist/cli/index.js\`; default \`ab\` settings and \`regression.gate\`. Command: \`node bench/ab-demo.mjs --unchanged ${values.unchanged} --slowed ${values.slowed} --slowdown ${values.slowdown} --plain ${values.plain}${values.neighbour ? ' --neighbour' : ''}\`
- Neighbour: ${values.neighbour ? 'a CPU-bound process (`while :; do :; done`) beside every run' : 'none'}.
- Unchanged PRs quiet: ${quiet} of ${runs.unchanged.length}; median wall time ${median(runs.unchanged.map((r) => r.wall)).toFixed(0)} s (A/B ${median(runs.unchanged.map((r) => r.abSeconds ?? 0)).toFixed(0)} s, of it the head alone for its targets and ramp ${median(runs.unchanged.map((r) => r.aloneSeconds)).toFixed(0)} s), median pairs ${median(runs.unchanged.map((r) => r.trials))}.
- "${TARGET}" of browse products as the unchanged PRs judged it (the head alone after the pairs): ${range(judged)}; in ${plain.length} plain runs of the same build: ${range(plainP95)}.

${table(['PR', 'Verdict', 'Gating comparisons', 'Trials per side', 'p95 change per scenario', 'Wall time', 'Why sampling stopped'], rows)}
`;
writeFileSync(join(ROOT, 'bench', `RESULTS-ab-demo${values.neighbour ? '-neighbour' : ''}.md`), md);
process.stdout.write(md);
