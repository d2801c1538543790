// regression.against: stored-build: a push to the default branch is measured side by side with
// the build of the newest stored run (its commit checked out as --against does), the duet's gate
// decides, and the run is stored with a plain run's figures. Real git, real services, a dir store.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HistoryRecord } from '../../src/contract/record.js';
import { runGate } from '../../src/pipeline/gate.js';
import type { Progress } from '../../src/util/progress.js';
import { git, repo, worktrees } from '../against-fixtures.js';
import { newMarker, processesWithMarker, tempDir } from '../helpers.js';
import { httpResponse, rawServer } from '../servers.js';

const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GITHUB_')));
const push = { ...clean, GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/heads/main', GITHUB_REF_NAME: 'main' };

function said(): Progress & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(m), live() {} };
}

/** One run of the gate in `dir`, with what it said on its progress lines. */
async function gateIn(dir: string, env: NodeJS.ProcessEnv) {
  const progress = said();
  const o = await runGate({ config: 'perfgate.yml', outDir: '.perfgate', cwd: dir, env, progress });
  return { ...o, said: progress.lines.join('\n') };
}

const stored = (dir: string): HistoryRecord[] =>
  readdirSync(join(dir, '.perfgate-history'), { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, '.perfgate-history', f), 'utf8')) as HistoryRecord)
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt));

describe('regression.against: stored-build', () => {
  it('each push is measured against the last stored build: the first against nothing, a slower commit fails, a docs commit passes; each is stored', async () => {
    // α 0.001: the docs commit is the same build on both sides, judged on 4–6 pairs of 400 ms, and
    // at α an unchanged build fails in up to α of runs by design; tenfold work is proven at 0.001 too.
    const r = repo('regression: { against: stored-build, alpha: 0.001 }\n', '{ store: dir, path: .perfgate-history }');
    const m = newMarker();
    const env = { ...push, ...m };
    const gate = () => gateIn(r.dir, env);

    // 1. The fast commit, nothing stored yet: judged against the stored runs' figures (none), said so, and stored.
    git(r.dir, 'reset', '-q', '--hard', r.first);
    const first = await gate();
    expect(first.result.ab).toBeNull();
    expect(first.said).toContain('regression.against is stored-build, but no stored run of this config and runner class (0 stored in all)');
    expect(first.result.regression!.warnings[0]).toMatch(/^regression\.against is stored-build, but no stored run/);
    expect(first.report).toContain("judged against the stored runs' figures");
    expect(first.result.history).toMatchObject({ saved: true });

    // 2. Ten times the work per request: measured against the first commit's build, a regression proven, stored.
    git(r.dir, 'reset', '-q', '--hard', r.second);
    const second = await gate();
    const ab = second.result.ab!;
    expect(ab.base.commit).toEqual({
      ref: 'stored-build',
      sha: r.first,
      why: expect.stringMatching(/^the build of the newest stored run, \d{4}-\d\d-\d\d$/),
    });
    const seen = JSON.stringify(ab.comparisons.map((c) => [c.metric, c.outcome, c.change.toFixed(2)]));
    expect(ab.counts.regression, seen).toBeGreaterThan(0);
    expect(ab.comparisons.find((c) => c.metric === 'cpu_per_request')!.change, seen).toBeGreaterThan(0.5);
    expect(second.exitCode).toBe(1);
    expect(second.report).toContain(`Base build: commit \`${r.first.slice(0, 7)}\` (the build of the newest stored run`);
    // Stored although an A/B run: with the head's own figures, every scenario run alone after the pairs.
    expect(second.result.history).toMatchObject({ saved: true });
    if (ab.design === 'duet') expect(ab.headAlone?.scenarios).toEqual(['root']);
    expect(second.result.scenarios[0]!.trials).toHaveLength(5);
    expect(second.result.regression).toBeNull();

    // 3. A commit that changes no code: measured against the second commit's build (the newest stored), no regression.
    writeFileSync(join(r.dir, 'NOTES.md'), 'docs only\n');
    git(r.dir, 'add', 'NOTES.md');
    git(r.dir, 'commit', '-q', '-m', 'docs');
    const third = await gate();
    expect(third.result.ab!.base.commit!.sha).toBe(r.second);
    expect(third.result.ab!.counts.regression, JSON.stringify(third.result.ab!.comparisons.map((c) => [c.metric, c.outcome, c.p]))).toBe(0);
    expect(third.exitCode).toBe(0);

    // Three runs stored, in order, each with its commit; the slower one names what regressed.
    const runs = stored(r.dir);
    expect(runs.map((x) => x.git!.sha)).toEqual([r.first, r.second, git(r.dir, 'rev-parse', 'HEAD')]);
    expect(runs[1]!.regressions!.length).toBeGreaterThan(0);
    // The duets keep each comparison's estimate and standard error (for the run-to-run lean); the first run was none.
    expect(runs[0]!.duet).toBeUndefined();
    if (ab.design === 'duet') {
      const cpu = runs[1]!.duet!.estimates.find((e) => e.metric === 'cpu_per_request' && e.scenario === 'root')!;
      expect(cpu.estimate).toBeCloseTo(Math.log1p(ab.comparisons.find((c) => c.metric === 'cpu_per_request')!.change), 10);
      expect(cpu.se).toBeGreaterThan(0);
      expect(second.result.ab!.runLean).toEqual({ duets: 0, window: 20, minRuns: 5 });
      expect(third.result.ab!.runLean).toEqual({ duets: 1, window: 20, minRuns: 5 });
      expect(third.report).toContain(
        "Run-to-run lean: 1 stored duet of this config and runner class so far; a comparison's lean is read from 5",
      );
    }
    expect(runs[1]!.scenarios[0]!.trials).toHaveLength(5);
    expect(worktrees(r.dir)).toBe(1);
    expect(processesWithMarker(m.PERFGATE_TEST_MARKER)).toEqual([]);
  }, 180_000);

  it('is the default: a first push says nothing of it; the next is measured against the stored build at α 0.01 and β 0.05', async () => {
    const r = repo('', '{ store: dir, path: .perfgate-history }');
    const m = newMarker();
    const env = { ...push, ...m };
    const gate = () => gateIn(r.dir, env);

    // Nothing stored to take a build from: a plain history run, with no word about regression.against.
    git(r.dir, 'reset', '-q', '--hard', r.first);
    const first = await gate();
    expect(first.result.ab).toBeNull();
    expect(first.said).not.toContain('regression.against');
    expect(first.result.regression!.warnings.join('\n')).not.toContain('regression.against');
    expect(first.report).not.toContain("judged against the stored runs' figures");
    expect(first.result.history).toMatchObject({ saved: true });

    git(r.dir, 'reset', '-q', '--hard', r.second);
    const second = await gate();
    const ab = second.result.ab!;
    expect(ab.base.commit!.sha).toBe(r.first);
    expect({ alpha: ab.alpha, beta: ab.beta }).toEqual({ alpha: 0.01, beta: 0.05 });
    const seen = JSON.stringify(ab.comparisons.map((c) => [c.metric, c.outcome, c.change.toFixed(2)]));
    expect(ab.counts.regression, seen).toBeGreaterThan(0);
    expect(second.exitCode).toBe(1);
    expect(second.result.history).toMatchObject({ saved: true });
    expect(stored(r.dir).map((x) => x.git!.sha)).toEqual([r.first, r.second]);
    expect(worktrees(r.dir)).toBe(1);
    expect(processesWithMarker(m.PERFGATE_TEST_MARKER)).toEqual([]);
  }, 180_000);

  it('stored duets whose p50 leaned ±20 % from run to run: the next push counts that lean in its test, gates p50 only on what stands out of it, and says so', async () => {
    // α 0.001: docs commits are the same build on both sides, judged on 4–6 pairs of 400 ms (see above).
    const r = repo('regression: { alpha: 0.001 }\n', '{ store: dir, path: .perfgate-history }');
    const m = newMarker();
    const env = { ...push, ...m };
    const docs = (name: string): void => {
      writeFileSync(join(r.dir, `${name}.md`), 'docs only\n');
      git(r.dir, 'add', `${name}.md`);
      git(r.dir, 'commit', '-q', '-m', name);
    };
    git(r.dir, 'reset', '-q', '--hard', r.first);
    await gateIn(r.dir, env);
    docs('one');
    const one = await gateIn(r.dir, env);
    // One CPU: no duet, so no lean (the design's own tests cover that); two or more: a duet, or the lean goes untested.
    if (availableParallelism() < 2) return;
    expect(one.result.ab?.design).toBe('duet');
    // Five more duets of that build, as if earlier pushes had read p50 ±15–25 % while their pairs agreed.
    const real = stored(r.dir).find((x) => x.duet)!;
    [0.2, -0.2, 0.25, -0.25, 0.15].forEach((p50, i) => {
      const at = new Date(Date.parse(real.startedAt) - (i + 1) * 60_000).toISOString();
      const copy: HistoryRecord = {
        ...real,
        id: `${real.id}-lean${i}`,
        startedAt: at,
        savedAt: at,
        duet: { estimates: real.duet!.estimates.map((e) => (e.metric === 'p50' ? { ...e, estimate: p50 } : e)) },
      };
      writeFileSync(join(r.dir, '.perfgate-history', `${copy.id}.json`), JSON.stringify(copy));
    });
    docs('two');
    const two = await gateIn(r.dir, env);
    const ab = two.result.ab!;
    expect(ab.base.commit!.sha).toBe(real.git!.sha);
    expect(ab.runLean).toEqual({ duets: 6, window: 20, minRuns: 5 });
    const p50 = ab.comparisons.find((c) => c.metric === 'p50')!;
    // Robust sd of {±0.2, ±0.25, 0.15, the real one's}: about 0.22 on the log scale, less what the pairs explain.
    expect(p50.lean!.runs).toBe(6);
    expect(p50.lean!.sd).toBeGreaterThan(0.15);
    expect(p50.ci[1] - p50.ci[0]).toBeGreaterThan(0.4);
    // No number of pairs resolves a change below about 2q · 0.2: p50 is out of this run's gate, and the report says why.
    const why = [...(ab.widened ?? []), ...(ab.notGating ?? [])].find((x) => x.metric === 'p50')!.why;
    expect(why).toMatch(/^its estimate leans ±\d+(\.\d)? % from run to run \(6 stored duets\), which more pairs do not shrink/);
    expect(two.report).toContain('Run-to-run lean, read from the newest 6 stored duets of this config and runner class');
    expect(two.report).toMatch(/p50 latency of "root" ±\d+(\.\d)? %/);
    expect(two.exitCode).toBe(0);
    // The new run is stored with its own estimates: seven duets now.
    expect(stored(r.dir).filter((x) => x.duet)).toHaveLength(7);
    // A run against a base it names (a pull request's, --against) reads the same stored duets, and is not stored.
    const pr = await runGate({ config: 'perfgate.yml', outDir: '.perfgate', cwd: r.dir, against: 'HEAD~1', env: { ...clean, ...m } });
    expect(pr.result.ab!.runLean).toEqual({ duets: 7, window: 20, minRuns: 5 });
    expect(pr.result.ab!.comparisons.find((c) => c.metric === 'p50')!.lean!.runs).toBe(7);
    expect(pr.result.history).toMatchObject({ saved: false });
    expect(stored(r.dir)).toHaveLength(8);
    expect(worktrees(r.dir)).toBe(1);
    expect(processesWithMarker(m.PERFGATE_TEST_MARKER)).toEqual([]);
  }, 180_000);

  it('a service perfgate does not start (service.url alone) has no build to check out: judged against the stored runs, and said', async () => {
    const server = await rawServer(() => ({ bytes: httpResponse(200, 'ok') }));
    try {
      const dir = tempDir('perfgate-stored-url-');
      git(dir, 'init', '-q', '-b', 'main');
      writeFileSync(
        join(dir, 'perfgate.yml'),
        `name: url
service: { url: "${server.url}" }
regression: { against: stored-build }
load: { connections: 1, warmup: 100ms, duration: 300ms, trials: 2 }
history: { store: dir, path: .perfgate-history }
scenarios:
  - { name: root, request: { path: / } }
`,
      );
      writeFileSync(join(dir, '.gitignore'), '.perfgate/\n');
      git(dir, 'add', '.');
      git(dir, 'commit', '-q', '-m', 'one');
      const gate = () => gateIn(dir, push);
      expect((await gate()).result.history).toMatchObject({ saved: true });
      writeFileSync(join(dir, 'NOTES.md'), 'docs\n');
      git(dir, 'add', 'NOTES.md');
      git(dir, 'commit', '-q', '-m', 'two');
      const second = await gate();
      expect(second.result.ab).toBeNull();
      expect(second.said).toContain(
        "regression.against is stored-build, but perfgate does not start the service (service.url without a command): judged against the stored runs' figures",
      );
      expect(second.result.regression!.warnings[0]).toMatch(
        /^regression\.against is stored-build, but perfgate does not start the service/,
      );
      // Compared with the one stored run's figures (too few to decide: on-missing-baseline's warning).
      expect(second.result.regression!.candidates).toMatchObject({ total: 1, sameConfig: 1, defaultBranch: 1 });
      expect(worktrees(dir)).toBe(1);
    } finally {
      await server.close();
    }
  }, 60_000);
});
