// Scaling out: parallel parts merged exactly, shard files checked before a merge, and other
// tools' outputs imported with what they cannot say marked as such.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { UsageError } from '../../src/errors.js';
import { fromAutocannon, fromK6, importedScenario } from '../../src/import.js';
import { decodeHistogram, encodeHistogram, newHistogram, percentileMs, recordMs, summarize } from '../../src/load/histogram.js';
import { mergeParallel, overlap, split, type TrialPart } from '../../src/load/merge.js';
import { shareOf } from '../../src/load/processes.js';
import { mergeProblem, parseShard, shardConfig, waitUntil, type ShardFile } from '../../src/shard.js';
import { silentProgress } from '../../src/progress.js';
import { createRng } from '../../src/stats/rng.js';
import { REPO } from '../helpers.js';

/** A trial part whose latencies are exactly `ms`. */
function part(ms: number[], startedAt: string, durationMs: number, connections: number): TrialPart {
  const h = newHistogram();
  for (const v of ms) recordMs(h, v);
  return {
    startedAt,
    durationMs,
    requests: ms.length + 2,
    ok: ms.length,
    rps: ((ms.length + 2) * 1000) / durationMs,
    latency: summarize(h),
    errors: { total: 2, non2xx: 2, timeouts: 0, connection: 0, rate: 2 / (ms.length + 2) },
    connectionsServed: connections,
    statusCodes: { '200': ms.length, '500': 2 },
    histogram: encodeHistogram(h),
  };
}

describe('merging parallel parts', () => {
  const rng = createRng(11);
  // Two machines with different latency profiles (one fast, one with a slow tail).
  const a = Array.from({ length: 4000 }, () => 0.3 + rng.next() * 2);
  const b = Array.from({ length: 3000 }, () => (rng.next() < 0.05 ? 40 + rng.next() * 60 : 1 + rng.next() * 3));
  const merged = mergeParallel([part(a, '2026-01-01T00:00:00.000Z', 5000, 6), part(b, '2026-01-01T00:00:00.200Z', 5000, 4)]);

  it('equals the histogram of the union of the recorded latencies (exact, not averaged percentiles)', () => {
    const union = newHistogram();
    for (const v of [...a, ...b]) recordMs(union, v);
    const m = decodeHistogram(merged.histogram);
    expect(m.totalCount).toBe(7000);
    for (const p of [1, 10, 50, 90, 95, 99, 99.9, 100]) expect(percentileMs(m, p)).toBe(percentileMs(union, p));
    expect(merged.latency).toEqual(summarize(union));
    // Averaging the parts' p99 would say something else entirely.
    const averaged =
      (percentileMs(decodeHistogram(part(a, '', 1, 1).histogram), 99) + percentileMs(decodeHistogram(part(b, '', 1, 1).histogram), 99)) / 2;
    expect(Math.abs(averaged - merged.latency.p99!)).toBeGreaterThan(10);
  });

  it('adds counts, and runs from the earliest start to the latest end', () => {
    expect(merged).toMatchObject({
      requests: 7004,
      ok: 7000,
      connectionsServed: 10,
      statusCodes: { '200': 7000, '500': 4 },
      errors: { total: 4, non2xx: 4, timeouts: 0, connection: 0 },
      startedAt: '2026-01-01T00:00:00.000Z',
      durationMs: 5200,
    });
    expect(merged.rps).toBeCloseTo((7004 * 1000) / 5200, 9);
    expect(merged.errors.rate).toBeCloseTo(4 / 7004, 12);
  });

  it('states the overlap of the parts', () => {
    expect(overlap([part(a, '2026-01-01T00:00:00.000Z', 5000, 1), part(b, '2026-01-01T00:00:00.200Z', 5000, 1)])).toEqual({
      overlapMs: 4800,
      spanMs: 5200,
      shortestMs: 5000,
    });
    expect(overlap([part(a, '2026-01-01T00:00:00.000Z', 1000, 1), part(b, '2026-01-01T00:00:05.000Z', 1000, 1)]).overlapMs).toBe(0);
  });

  it('splits connections evenly and the rate in proportion', () => {
    expect(split(10, 4)).toEqual([3, 3, 2, 2]);
    expect(split(4, 4)).toEqual([1, 1, 1, 1]);
    const s = { connections: 10, rate: 1000, processes: 1 } as Parameters<typeof shareOf>[0];
    expect([0, 1, 2, 3].map((i) => shareOf(s, i, 4).rate)).toEqual([300, 300, 200, 200]);
  });
});

const external = (connections = 8) => `name: ext
service: { url: "http://127.0.0.1:3999", ready: { http: /health } }
scenarios:
  - { name: a, request: { path: / }, connections: ${connections}, rate: 800 }
`;

describe('shards', () => {
  it('--shard reads I/N and refuses nonsense', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    for (const bad of ['0/4', '5/4', '2', 'a/b', '1/0']) expect(() => parseShard(bad)).toThrow(/--shard takes INDEX\/COUNT/);
  });

  it('a shard config takes its share; a managed service, a ramp or too few connections are refused', () => {
    const c = parseConfig(external(), '/x/perfgate.yml');
    expect(shardConfig(c, 1, 3).scenarios[0]).toMatchObject({ connections: 3, rate: 300 });
    expect(shardConfig(c, 3, 3).scenarios[0]).toMatchObject({ connections: 2, rate: 200 });
    const managed = parseConfig('service: { command: node s.js }\nscenarios: [{ name: a, request: { path: / } }]\n', '/x/perfgate.yml');
    expect(() => shardConfig(managed, 1, 2)).toThrow(/the service must already be running: give service.url without service.command/);
    expect(() => shardConfig(parseConfig(external(3), '/x/perfgate.yml'), 1, 4)).toThrow(/has 3 connections, fewer than 4 shards/);
    const ramp = parseConfig(`${external()}  - { name: r, request: { path: / }, ramp: { start: 4, max: 16 } }\n`, '/x/perfgate.yml');
    expect(() => shardConfig(ramp, 1, 2)).toThrow(/ramps cannot be sharded/);
  });

  const shard = (index: number, count: number, fingerprint = 'fp1'): { file: string; shard: ShardFile } => ({
    file: `shard-${index}-of-${count}.json`,
    shard: { shard: { index, count }, fingerprint } as ShardFile,
  });

  it.each([
    [
      [shard(1, 2), shard(2, 2, 'fp2')],
      'the shards come from different configs: shard-2-of-2.json has fingerprint fp2, shard-1-of-2.json has fp1',
    ],
    [[shard(1, 2), shard(2, 3)], 'the shards come from different splits'],
    [[shard(1, 2), shard(1, 2)], 'shard 1 of 2 is given twice'],
    [[shard(1, 3), shard(3, 3)], 'shard 2 of 3 missing: a merge of part of the load would understate it'],
    [[shard(1, 2, 'fpX'), shard(2, 2, 'fpX')], 'the shards were measured with a different config than perfgate.yml'],
  ])('mismatched shards are refused with a clear reason (%#)', (shards, reason) => {
    expect(mergeProblem(shards, 'fp1', 'perfgate.yml')).toContain(reason);
  });

  it('a complete set merges', () => {
    expect(mergeProblem([shard(2, 2), shard(1, 2)], 'fp1', 'perfgate.yml')).toBeUndefined();
  });

  it('--start-at must be a near ISO time; a past one starts at once', async () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    await expect(waitUntil('tomorrow', silentProgress, undefined, now)).rejects.toThrow(UsageError);
    await expect(waitUntil('2026-01-01T01:00:00Z', silentProgress, undefined, now)).rejects.toThrow(/60 minutes away; at most 15/);
    const said: string[] = [];
    await waitUntil('2025-12-31T23:59:50Z', { info: (m) => said.push(m), live: () => {} }, undefined, now);
    expect(said[0]).toMatch(/passed 10 s ago; starting now/);
  });
});

const fixture = (name: string): unknown => JSON.parse(readFileSync(join(REPO, 'fixtures', 'imports', name), 'utf8'));

describe('import', () => {
  it('autocannon --json (recorded): its own figures, p95 and sub-millisecond latency marked missing', () => {
    const doc = fixture('autocannon-demo-products.json') as {
      requests: { total: number };
      latency: { p50: number; p99: number };
      connections: number;
    };
    const x = fromAutocannon(doc);
    expect(x).toMatchObject({ tool: 'autocannon', connections: doc.connections, requests: doc.requests.total });
    expect(x.latency.p50).toBe(doc.latency.p50);
    expect(x.latency.p99).toBe(doc.latency.p99);
    expect(x.latency.p95).toBeNull();
    expect(x.missing.join(';')).toContain('p95 (autocannon does not compute it)');
    const s = importedScenario('autocannon', x);
    expect(s.trials).toHaveLength(1);
    expect(s.summary.rps).toBeCloseTo((x.requests * 1000) / x.durationMs, 6);
  });

  it('k6 handleSummary JSON: the expected-response latency, failures from http_req_failed, no p99 without summaryTrendStats', () => {
    const x = fromK6(fixture('k6-handle-summary.sample.json'));
    expect(x).toMatchObject({ tool: 'k6', connections: 50, requests: 24000, ok: 23940, durationMs: 30012.5 });
    expect(x.errors.total).toBe(60);
    expect(x.latency).toMatchObject({ p50: 3.88, p90: 8.6, p95: 12.1, p99: null, max: 198.2 });
    expect(x.missing).toContain('p99 (add it to summaryTrendStats)');
  });

  it('k6 --summary-export (legacy): values inline, duration estimated from the rate', () => {
    const x = fromK6(fixture('k6-summary-export.sample.json'));
    expect(x).toMatchObject({ requests: 6000, ok: 6000, connections: 10 });
    expect(x.latency).toMatchObject({ p50: 1.98, p95: 5.2, p99: 11.4 });
    expect(x.durationMs).toBeCloseTo((6000 / 199.9) * 1000, 6);
    expect(x.notes.join(' ')).toContain('estimated as requests ÷ rate');
  });

  it('anything else is refused with what is missing', () => {
    expect(() => fromK6({ foo: 1 })).toThrow(/not a k6 summary: no "metrics" object/);
    expect(() => fromK6({ metrics: { vus: {} } })).toThrow(/no http_req_duration metric/);
    expect(() => fromAutocannon(fixture('k6-handle-summary.sample.json'))).toThrow(/not an autocannon --json result/);
  });
});

describe('config: load.processes', () => {
  it('is read per scenario or from load, and needs at least as many connections', () => {
    const c = parseConfig(
      'service: { command: node s.js }\nload: { processes: 2 }\nscenarios:\n  - { name: a, request: { path: / }, connections: 4 }\n  - { name: b, request: { path: / }, connections: 4, processes: 1 }\n',
      '/x/perfgate.yml',
    );
    expect(c.scenarios.map((s) => s.processes)).toEqual([2, 1]);
    expect(() =>
      parseConfig(
        'service: { command: node s.js }\nscenarios:\n  - { name: a, request: { path: / }, connections: 2, processes: 4 }\n',
        '/x/perfgate.yml',
      ),
    ).toThrow(/scenarios\[0\]\.processes: 4 load processes need at least as many connections; "a" has 2/);
  });
});
