// The yardstick in history mode, end to end: real runs of the demo with regression.yardstick
// saved to a dir store; each trial carries the yardstick's CPU time per operation, the report
// says which stored runs it let in, the service's CPU per request relative to it moves with the
// service's own work, and the yardstick's process is gone after every run. Then the same slower
// build measured beside CPU-bound processes: a busier machine, said so, and no speed regression.
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runGate, type GateOutcome } from '../../src/pipeline/gate.js';
import { validateResult } from '../checked-gate.js';
import { demoConfig, newMarker, processesWithMarker, processesWithMarkerSoon, tempDir, writeConfig } from '../helpers.js';

const dir = tempDir('perfgate-yardstick-');
// Handler work dominates CPU per request (≈0.4 ms), so SLOWDOWN=0.5 is ≈ +45 % of it.
const config = writeConfig(
  dir,
  demoConfig({
    connections: 2,
    trials: 3,
    duration: '1s',
    warmup: '300ms',
    env: { WORK_ITERATIONS: 400000 },
    extra: 'regression: { yardstick: true }\n',
  }),
);
const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GITHUB_'))),
  ...extra,
});
const stored: GateOutcome[] = [];
let slower: GateOutcome;
const markers: string[] = [];

beforeAll(async () => {
  for (let i = 0; i < 5; i++) {
    const m = newMarker();
    markers.push(m.PERFGATE_TEST_MARKER);
    stored.push(await runGate({ config, outDir: join(dir, `base-${i}`), env: env(m), save: true }));
  }
  const m = newMarker();
  markers.push(m.PERFGATE_TEST_MARKER);
  slower = await runGate({ config, outDir: join(dir, 'slower'), env: env({ ...m, SLOWDOWN: '0.5' }), save: false });
}, 150_000);

describe('history with the yardstick beside the service', () => {
  it('every trial carries the yardstick’s figures, the run says where it ran, and nothing of it is left running', () => {
    for (const o of [...stored, slower]) {
      expect(validateResult(o.result), JSON.stringify(validateResult.errors)).toBe(true);
      expect(o.result.service.yardstick).toMatchObject({ ran: true, periodMs: 25, note: null });
      expect(o.result.service.yardstick!.cpus!.length).toBeGreaterThan(0);
      for (const t of o.result.scenarios[0]!.trials) {
        expect(t.yardstick!.ops).toBeGreaterThan(10);
        expect(t.yardstick!.perOpUs).toBeGreaterThan(50);
      }
    }
    for (const m of markers) expect(processesWithMarker(m)).toEqual([]);
    expect(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })).not.toContain('yardstick.cjs');
  });

  it('the slower build: CPU per request relative to the yardstick rose with the work, and the report names the yardstick range', () => {
    const r = slower.result.regression!;
    expect(r.candidates.yardstick).toMatchObject({ outside: 0, without: 0 });
    const rel = r.comparisons.find((c) => c.metric === 'relative_cpu_per_request')!;
    const raw = r.comparisons.find((c) => c.metric === 'cpu_per_request')!;
    expect(rel.runs).toBe(5);
    expect(rel.change!, JSON.stringify(rel)).toBeGreaterThan(0.25);
    // The work rose ≈ +45 %; beside a CPU-bound process the relative figure once read +91 % (the
    // yardstick shares the machine, not the service's CPU), so the bound only rules out nonsense.
    expect(rel.change!, JSON.stringify(rel)).toBeLessThan(1.2);
    expect(raw.change!).toBeGreaterThan(0.25);
    expect(slower.report).toMatch(
      /This run's yardstick took [\d,]+ µs of CPU per operation; stored runs are compared when theirs is within/,
    );
    expect(slower.report).toContain('Service CPU per request ÷ yardstick');
    expect(slower.report).toContain('a fixed workload beside the service');
  });

  it('the slower build on a busier machine (4 CPU-bound processes beside it): said so, and no speed regression is called', async () => {
    // Orphans (their shell exits at once), each bounded to 20 s and killed when the run ends.
    const SPIN = 'const end = Date.now() + 20000; while (Date.now() < end);';
    const m = newMarker();
    const spin = spawn('sh', ['-c', `for i in 1 2 3 4; do "${process.execPath}" -e '${SPIN}' >/dev/null 2>&1 & done; exit 0`], {
      stdio: 'ignore',
      env: { ...process.env, ...m },
    });
    await new Promise((r) => spin.on('exit', r));
    let busy: GateOutcome;
    try {
      expect(await processesWithMarkerSoon(m.PERFGATE_TEST_MARKER, 4)).toHaveLength(4);
      busy = await runGate({ config, outDir: join(dir, 'busy'), env: env({ SLOWDOWN: '0.5' }), save: false });
    } finally {
      for (const pid of processesWithMarker(m.PERFGATE_TEST_MARKER)) process.kill(pid, 'SIGKILL');
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(processesWithMarker(m.PERFGATE_TEST_MARKER)).toEqual([]);
    expect(validateResult(busy.result), JSON.stringify(validateResult.errors)).toBe(true);
    expect(busy.result.scenarios[0]!.machine!.otherCpus).toBeGreaterThan(0.5);
    for (const o of stored) expect(o.result.scenarios[0]!.machine!.cpus).toBeGreaterThan(0);
    const r = busy.result.regression!;
    expect(r.candidates.machine, JSON.stringify(r.candidates.machine)).toMatchObject({ differs: 'busier', runs: 5 });
    const speed = r.comparisons.filter((c) =>
      ['p50', 'p95', 'p99', 'rps', 'cpu_per_request', 'relative_cpu_per_request'].includes(c.metric),
    );
    expect(speed.length).toBe(6);
    for (const c of speed) expect(c.outcome, `${c.metric}: ${c.note}`).not.toBe('regression');
    // The slowdown is still measured and shown: CPU per request rose with the work.
    expect(r.comparisons.find((c) => c.metric === 'cpu_per_request')!.change!).toBeGreaterThan(0.25);
    expect(busy.report).toContain("**This run's machine was busier**");
  }, 60_000);
});
