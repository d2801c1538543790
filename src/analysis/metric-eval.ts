// Evaluating a service-metric expression (config/metric-expr.ts parses it) over the Prometheus
// scrapes taken before and after each trial. Pure.
import { selectorText, show, type Matcher, type MetricExpr } from '../config/metric-expr.js';
import type { Scrape } from '../service/scrape.js';

/** What was scraped around one trial, and the trial's own figures. */
export interface TrialReading {
  seconds: number;
  requests: number;
  ok: number;
  errors: number;
  before: Scrape | null;
  after: Scrape | null;
  /** Why a scrape is missing, e.g. "GET /metrics answered 404". */
  problem?: string;
}

export type Evaluated = { value: number; note?: string } | { value: null; note: string };

const matches = (labels: Record<string, string>, ms: Matcher[]): boolean =>
  ms.every((m) => ((labels[m.label] ?? '') === m.value) === (m.op === '='));

const labelKey = (labels: Record<string, string>): string =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');

/**
 * Evaluates over one trial, or over several pooled: counter increases and seconds add up across
 * trials, gauges read from the last trial. A missing scrape, metric or series, or a division by
 * zero, gives null and a note; nothing throws.
 */
export function evaluateMetric(e: MetricExpr, readings: readonly TrialReading[]): Evaluated {
  if (!readings.length) return { value: null, note: 'no trial was measured' };
  const failed = readings.find((r) => !r.before || !r.after);
  if (failed) return { value: null, note: failed.problem ?? 'the metrics endpoint was not scraped' };
  const notes = new Set<string>();
  const sum = (f: (r: TrialReading) => number): number => readings.reduce((a, r) => a + f(r), 0);
  const ev = (x: MetricExpr): number => {
    switch (x.k) {
      case 'num':
        return x.v;
      case 'var':
        return sum((r) => r[x.name]);
      case 'neg':
        return -ev(x.e);
      case 'bin': {
        const l = ev(x.l);
        const r = ev(x.r);
        if (x.op === '/' && r === 0) throw new Missing(`division by zero: ${show(x.r)} was 0`);
        return x.op === '+' ? l + r : x.op === '-' ? l - r : x.op === '*' ? l * r : l / r;
      }
      case 'series': {
        const last = readings[readings.length - 1]!;
        const found = last.after!.get(x.name);
        if (!found) throw new Missing(`${x.name} is not among the service's metrics`);
        const fn = x.fn === 'auto' ? (found.type === 'counter' ? 'delta' : 'value') : x.fn;
        const pick = (s: Scrape): { labels: Record<string, string>; value: number }[] =>
          (s.get(x.name)?.series ?? []).filter((p) => matches(p.labels, x.matchers));
        if (!pick(last.after!).length) throw new Missing(`no series of ${selectorText(x)} in the service's metrics`);
        if (fn === 'value') return pick(last.after!).reduce((a, p) => a + p.value, 0);
        const increase = sum((r) => {
          const before = new Map(pick(r.before!).map((p) => [labelKey(p.labels), p.value]));
          return pick(r.after!).reduce((a, p) => {
            const b = before.get(labelKey(p.labels)) ?? 0;
            // A counter that went down was reset (the service restarted): Prometheus counts from zero.
            if (found.type === 'counter' && p.value < b) {
              notes.add(`${x.name} was reset during a trial`);
              return a + p.value;
            }
            return a + p.value - b;
          }, 0);
        });
        if (fn === 'delta') return increase;
        const seconds = sum((r) => r.seconds);
        if (seconds <= 0) throw new Missing('the trial lasted no time');
        return increase / seconds;
      }
    }
  };
  try {
    const value = ev(e);
    if (!Number.isFinite(value)) return { value: null, note: 'the expression did not give a finite number' };
    return notes.size ? { value, note: [...notes].join('; ') } : { value };
  } catch (err) {
    if (err instanceof Missing) return { value: null, note: err.message };
    throw err;
  }
}

class Missing extends Error {}
