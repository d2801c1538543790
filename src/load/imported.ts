// Other load tools' outputs (k6, autocannon, Locust) as one perfgate trial: what the file holds is
// used as the tool computed it; what it does not hold is null and said, never a guess. Pure.
import type { ImportSource, ReportedLatency, ScenarioResult, TrialResult } from '../contract/result.js';
import { UsageError } from '../util/errors.js';

export type ImportTool = ImportSource['tool'];

/** What an import found in the file: one trial's figures and what they could not say. */
export interface Imported {
  tool: ImportTool;
  url: string | null;
  connections: number | null;
  startedAt: string | null;
  durationMs: number;
  requests: number;
  ok: number;
  errors: { total: number; non2xx: number; timeouts: number; connection: number };
  latency: ReportedLatency;
  statusCodes: Record<string, number>;
  provides: string[];
  missing: string[];
  notes: string[];
}

type Json = Record<string, unknown>;
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const obj = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);

/**
 * k6's end-of-test summary as JSON: `handleSummary(data)` → `JSON.stringify(data)` (metrics as
 * {type, contains, values}) or the legacy `--summary-export` file (metrics' values inline).
 */
export function fromK6(doc: unknown): Imported {
  const root = obj(doc);
  const metrics = obj(root?.metrics);
  if (!metrics) throw new UsageError('not a k6 summary: no "metrics" object (write it with --summary-export or handleSummary)');
  const values = (name: string): Json | undefined => {
    const m = obj(metrics[name]);
    return m ? (obj(m.values) ?? m) : undefined;
  };
  // Latency of expected (2xx/3xx) responses when k6 split it out, as perfgate's own is of 2xx responses.
  const expected = values('http_req_duration{expected_response:true}');
  const duration = expected ?? values('http_req_duration');
  if (!duration) throw new UsageError('not a k6 summary of an HTTP test: no http_req_duration metric');
  const reqs = values('http_reqs');
  const requests = num(reqs?.count);
  if (requests === null) throw new UsageError('the k6 summary has no http_reqs count');
  const failed = values('http_req_failed');
  // http_req_failed is a rate metric: "passes" counts requests for which "failed" was true.
  const failures = num(failed?.passes) ?? 0;
  const rate = num(reqs?.rate);
  const stateMs = num(obj(root?.state)?.testRunDurationMs);
  const durationMs = stateMs ?? (rate && rate > 0 ? (requests / rate) * 1000 : 0);
  const vus = values('vus_max');
  const latency: ReportedLatency = {
    count: expected ? null : requests,
    min: num(duration.min),
    mean: num(duration.avg),
    stdev: null,
    p50: num(duration.med) ?? num(duration['p(50)']),
    p90: num(duration['p(90)']),
    p95: num(duration['p(95)']),
    p99: num(duration['p(99)']),
    max: num(duration.max),
  };
  const missing = ['histogram (exact percentiles and merging)', 'per-trial figures', 'status codes', 'service CPU, memory and uptime'];
  for (const [k, v] of Object.entries({ p50: latency.p50, p90: latency.p90, p95: latency.p95, p99: latency.p99 }))
    if (v === null) missing.push(`${k} (add it to summaryTrendStats)`);
  const notes = [
    `latency is k6's ${expected ? 'http_req_duration{expected_response:true}' : 'http_req_duration (all responses, errors included)'}`,
    'k6 reports percentiles it computed; perfgate cannot recompute or merge them',
  ];
  if (stateMs === null) notes.push('the test duration is estimated as requests ÷ rate (the legacy --summary-export has no state)');
  return {
    tool: 'k6',
    url: null,
    connections: num(vus?.max) ?? num(vus?.value),
    startedAt: null,
    durationMs,
    requests,
    ok: requests - failures,
    errors: { total: failures, non2xx: failures, timeouts: 0, connection: 0 },
    latency,
    statusCodes: {},
    provides: [
      'requests',
      'req/s',
      'error rate (http_req_failed)',
      'latency min/avg/med/max and the percentiles in the summary',
      'max VUs',
    ],
    missing,
    notes,
  };
}

/** `autocannon --json`: whole-millisecond latency percentiles, no p95. */
export function fromAutocannon(doc: unknown): Imported {
  const r = obj(doc);
  const lat = obj(r?.latency);
  const req = obj(r?.requests);
  if (!r || !lat || !req || num(r.duration) === null)
    throw new UsageError('not an autocannon --json result: no latency, requests or duration');
  const non2xx = num(r.non2xx) ?? 0;
  const timeouts = num(r.timeouts) ?? 0;
  const errorsAll = num(r.errors) ?? 0;
  // autocannon's "errors" count timeouts among connection errors.
  const connection = Math.max(0, errorsAll - timeouts);
  const responses = num(req.total) ?? 0;
  const statusCodes: Record<string, number> = {};
  for (const [code, s] of Object.entries(obj(r.statusCodeStats) ?? {})) {
    const c = num(obj(s)?.count);
    if (c !== null) statusCodes[code] = c;
  }
  const start = typeof r.start === 'string' ? r.start : null;
  const finish = typeof r.finish === 'string' ? r.finish : null;
  const durationMs = start && finish ? Date.parse(finish) - Date.parse(start) : (num(r.duration) ?? 0) * 1000;
  return {
    tool: 'autocannon',
    url: typeof r.url === 'string' ? r.url : null,
    connections: num(r.connections),
    startedAt: start,
    durationMs,
    requests: responses,
    ok: num(r['2xx']) ?? Math.max(0, responses - non2xx),
    errors: { total: non2xx + timeouts + connection, non2xx, timeouts, connection },
    latency: {
      count: num(lat.totalCount),
      min: num(lat.min),
      mean: num(lat.mean) ?? num(lat.average),
      stdev: num(lat.stddev),
      p50: num(lat.p50),
      p90: num(lat.p90),
      p95: null,
      p99: num(lat.p99),
      max: num(lat.max),
    },
    statusCodes,
    provides: ['requests', 'req/s', 'errors, timeouts and non-2xx', 'status codes', 'latency p50/p90/p97.5/p99/max in whole milliseconds'],
    missing: ['p95 (autocannon does not compute it)', 'sub-millisecond latency', 'per-trial figures', 'service CPU, memory and uptime'],
    notes: ["latency percentiles are autocannon's own, rounded to whole milliseconds"],
  };
}

/** RFC 4180 CSV (quoted fields may hold commas, quotes and newlines) → rows of fields. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.some((f) => f !== ''));
}

/**
 * Locust's `--csv PREFIX` statistics: PREFIX_stats.csv (one row per request name and an
 * "Aggregated" row), with PREFIX_failures.csv beside it when present to tell errors apart.
 * Locust's percentiles are approximate: it rounds response times (whole ms under 100 ms, 10 ms
 * up to 1 s, 100 ms above) before counting them.
 */
export function fromLocust(statsCsv: string, failuresCsv?: string): Imported {
  const rows = parseCsv(statsCsv);
  const header = rows[0] ?? [];
  const col = (name: string): number => header.indexOf(name);
  if (col('Request Count') < 0 || col('Name') < 0 || col('50%') < 0)
    throw new UsageError('not a Locust --csv statistics file: no "Name", "Request Count" and "50%" columns (use PREFIX_stats.csv)');
  const all = rows.find((r) => r[col('Name')] === 'Aggregated' && !r[col('Type')]);
  if (!all) throw new UsageError('the Locust statistics have no "Aggregated" row');
  const value = (name: string): number | null => {
    const i = col(name);
    const v = i >= 0 ? all[i] : undefined;
    if (v === undefined || v === '' || v === 'N/A') return null;
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  };
  const requests = value('Request Count') ?? 0;
  const failures = value('Failure Count') ?? 0;
  const rate = value('Requests/s');
  const durationMs = rate && rate > 0 ? (requests / rate) * 1000 : 0;
  // Failures by kind, from PREFIX_failures.csv (Method, Name, Error, Occurrences).
  let non2xx = 0;
  let timeouts = 0;
  let connection = 0;
  const notes = [
    "latency percentiles are Locust's own approximations (response times rounded before counting: whole ms below 100 ms, 10 ms up to 1 s, 100 ms above)",
    'the test duration is estimated as requests ÷ Requests/s (the statistics file holds no start and end)',
    'Locust counts failed requests among its requests and in its percentiles',
  ];
  if (failuresCsv !== undefined) {
    const f = parseCsv(failuresCsv);
    const h = f[0] ?? [];
    const ei = h.indexOf('Error');
    const ni = h.indexOf('Occurrences');
    for (const r of f.slice(1)) {
      const n = Number(r[ni]);
      if (!Number.isFinite(n)) continue;
      const error = r[ei] ?? '';
      if (/timed? ?out/i.test(error)) timeouts += n;
      else if (/HTTPError|Server Error|Client Error|status code/i.test(error)) non2xx += n;
      else connection += n;
    }
    // Failures the file does not describe (a check in the user's own code) count as non-2xx.
    non2xx += Math.max(0, failures - non2xx - timeouts - connection);
  } else {
    non2xx = failures;
    if (failures > 0) notes.push('without PREFIX_failures.csv beside it, every failure is counted as a non-2xx response');
  }
  const names = rows
    .slice(1)
    .filter((r) => r !== all)
    .map((r) => `${r[col('Type')] ?? ''} ${r[col('Name')] ?? ''}`.trim());
  if (names.length) notes.push(`requests: ${names.join(', ')}`);
  return {
    tool: 'locust',
    url: null,
    connections: null,
    startedAt: null,
    durationMs,
    requests,
    ok: requests - failures,
    errors: { total: failures, non2xx, timeouts, connection },
    latency: {
      count: requests,
      min: value('Min Response Time'),
      mean: value('Average Response Time'),
      stdev: null,
      p50: value('50%'),
      p90: value('90%'),
      p95: value('95%'),
      p99: value('99%'),
      max: value('Max Response Time') ?? value('100%'),
    },
    statusCodes: {},
    provides: [
      'requests',
      'req/s',
      'failures (split by PREFIX_failures.csv)',
      'latency min/avg/max and p50/p90/p95/p99 (approximated by Locust)',
    ],
    missing: [
      'users (connections)',
      'status codes',
      'histogram (exact percentiles and merging)',
      'per-trial figures',
      'service CPU, memory and uptime',
    ],
    notes,
  };
}

/** The imported figures as one scenario with one trial. */
export function importedScenario(name: string, x: Imported): ScenarioResult {
  const attempts = x.requests + x.errors.timeouts + x.errors.connection;
  const trial: TrialResult = {
    index: 0,
    startedAt: x.startedAt ?? new Date(0).toISOString(),
    durationMs: x.durationMs,
    requests: x.requests,
    ok: x.ok,
    rps: x.durationMs > 0 ? (x.requests * 1000) / x.durationMs : 0,
    latency: x.latency,
    errors: { ...x.errors, rate: attempts > 0 ? x.errors.total / attempts : 0 },
    connectionsServed: 0,
    statusCodes: x.statusCodes,
    histogram: '',
  };
  const { index: _i, startedAt: _s, ...summary } = trial;
  return {
    name,
    kind: 'request',
    settings: { connections: x.connections ?? 0, rate: null, warmupMs: 0, trials: 1, durationMs: x.durationMs, timeoutMs: 0, steps: [] },
    summary,
    trials: [trial],
    service: { cpu: null, memory: null, uptime: null },
  };
}
