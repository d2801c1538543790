// Scraping a service's Prometheus endpoint: one GET with a timeout and a size cap, the text
// parsed by parse-prometheus-text-format and flattened into a Scrape. Never throws: a failed
// scrape is a message that ends up as a ❓ note.
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { httpGetText } from './http-get.js';

export type MetricType = 'counter' | 'gauge' | 'untyped';

/** One scrape, flattened: a histogram `h` becomes the counters h_bucket{le}, h_sum and h_count. */
export type Scrape = Map<string, { type: MetricType; series: { labels: Record<string, string>; value: number }[] }>;

/** The scrapes around one trial, and why one is missing. */
export interface ScrapePair {
  before: Scrape | null;
  after: Scrape | null;
  problem?: string;
}

export type ScrapeResult = { ok: true; scrape: Scrape; ms: number } | { ok: false; problem: string };

const MAX_BYTES = 8 * 1024 * 1024;

export async function scrapeMetrics(url: string, timeoutMs: number): Promise<ScrapeResult> {
  const got = await httpGetText(url, timeoutMs, MAX_BYTES);
  const where = `GET ${url}`;
  if (got.error !== undefined) return { ok: false, problem: `${where} failed: ${got.error}` };
  if (got.status !== undefined && (got.status < 200 || got.status >= 300)) return { ok: false, problem: `${where} answered ${got.status}` };
  const parsed = parsePrometheusText(got.body ?? '');
  if (typeof parsed === 'string') return { ok: false, problem: `${where}: ${parsed}` };
  return { ok: true, scrape: parsed, ms: got.ms };
}

/** Prometheus text exposition → Scrape, or why it could not be read. */
export function parsePrometheusText(text: string): Scrape | string {
  let families;
  try {
    families = parsePrometheusTextFormat(text);
  } catch (err) {
    const why = (err as Error).message;
    return `not Prometheus text exposition (${why.length > 120 ? `${why.slice(0, 117)}...` : why})`;
  }
  const out: Scrape = new Map();
  const add = (name: string, type: MetricType, labels: Record<string, string> | undefined, raw: string | undefined): void => {
    const value = raw === undefined ? NaN : Number(raw);
    if (Number.isNaN(value) && raw !== 'NaN') return;
    let entry = out.get(name);
    if (!entry) out.set(name, (entry = { type, series: [] }));
    entry.series.push({ labels: { ...labels }, value });
  };
  for (const f of families) {
    for (const m of f.metrics) {
      if (f.type === 'HISTOGRAM' || f.type === 'SUMMARY') {
        for (const [le, v] of Object.entries(m.buckets ?? {})) add(`${f.name}_bucket`, 'counter', { ...m.labels, le }, v);
        for (const [q, v] of Object.entries(m.quantiles ?? {})) add(f.name, 'gauge', { ...m.labels, quantile: q }, v);
        add(`${f.name}_sum`, 'counter', m.labels, m.sum);
        add(`${f.name}_count`, 'counter', m.labels, m.count);
      } else {
        add(f.name, f.type === 'COUNTER' ? 'counter' : f.type === 'GAUGE' ? 'gauge' : 'untyped', m.labels, m.value);
      }
    }
  }
  if (out.size === 0) return 'no Prometheus samples in the response (is this the metrics endpoint?)';
  return out;
}

/**
 * Scrapes before and after every trial (ScenarioHooks.trialBoundary) and keeps one pair per
 * recorded trial, in order. Without an endpoint it records nothing.
 */
export class TrialScrapes {
  readonly pairs: ScrapePair[] = [];
  scrapes = 0;
  failed = 0;
  readonly problems = new Set<string>();
  private pending: ScrapeResult | undefined;

  /** Where to scrape; A/B mode points it at each new start of a service (its port may change). */
  url: string | undefined;

  constructor(
    url: string | undefined,
    private readonly timeoutMs: number,
  ) {
    this.url = url;
  }

  get enabled(): boolean {
    return this.url !== undefined;
  }

  readonly boundary = async (when: 'before' | 'after', kept: boolean): Promise<void> => {
    if (!this.url) return;
    const got = await scrapeMetrics(this.url, this.timeoutMs);
    this.scrapes++;
    if (!got.ok) {
      this.failed++;
      this.problems.add(got.problem);
    }
    if (when === 'before') {
      this.pending = got;
      return;
    }
    const before = this.pending;
    this.pending = undefined;
    if (!kept) return;
    const problem = before && !before.ok ? before.problem : !got.ok ? got.problem : undefined;
    this.pairs.push({
      before: before?.ok ? before.scrape : null,
      after: got.ok ? got.scrape : null,
      ...(problem ? { problem } : {}),
    });
  };
}
