// Scaling out: parallel parts merged exactly, shard files checked before a merge, and other
// tools' outputs imported with what they cannot say marked as such.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../../helpers.js';
import { describe, expect, it } from 'vitest';
import { fromAutocannon, fromK6, importedScenario } from '../../../src/load/imported.js';

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
