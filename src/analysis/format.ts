// Numbers as the report shows them, by unit. Pure.
import { formatBytes } from '../config/units.js';
import type { Unit } from '../config/target-expr.js';

export function formatNumber(x: number, digits = 1): string {
  return x.toLocaleString('en-US', {
    minimumFractionDigits: 0,
    maximumFractionDigits: digits,
  });
}

export function formatMs(ms: number): string {
  if (ms >= 1000) return `${formatNumber(ms / 1000, 2)} s`;
  if (ms >= 100) return `${formatNumber(ms, 0)} ms`;
  if (ms >= 10) return `${formatNumber(ms, 1)} ms`;
  return `${formatNumber(ms, 2)} ms`;
}

/** A span of time in seconds: whole seconds from 10 s or on the second, else one decimal. */
export function formatSeconds(ms: number): string {
  return ms >= 10_000 || ms % 1000 === 0 ? `${Math.round(ms / 1000)} s` : `${(ms / 1000).toFixed(1)} s`;
}

export function formatPercent(fraction: number): string {
  const pct = fraction * 100;
  if (pct === 0 || pct === 100) return `${pct} %`;
  if (pct >= 99.9 && pct < 100) return `${formatNumber(pct, 3)} %`;
  return `${formatNumber(pct, pct < 1 ? 3 : 2)} %`;
}

export function formatValue(value: number, unit: Unit | string): string {
  switch (unit) {
    case 'ms':
      return formatMs(value);
    case 'fraction':
      return formatPercent(value);
    case 'bytes':
      return formatBytes(value);
    case 'cpu':
      return `${formatNumber(value, 1)} %`;
    case 'per-second':
      return `${formatNumber(value, 1)}/s`;
    case 'bytes-per-request':
      return `${value < 0 ? '−' : ''}${formatBytes(Math.round(Math.abs(value)))}`;
    case 'bytes-per-minute':
      return `${value < 0 ? '−' : ''}${formatNumber(Math.abs(value) / 1024 ** 2, 2)} MB/min`;
    case 'number':
      return formatNumber(value, Math.abs(value) < 1 ? 4 : 2);
    default:
      return formatNumber(value, 2);
  }
}

/** Which way a compared figure worsens, and on which scale: what it takes to read its change. */
export interface ChangeOf {
  metric: string;
  worse: 'up' | 'down';
  scale?: 'abs';
}

/**
 * The change as a reader computes it, head (or this run) against base (or the baseline): + =
 * higher. The analyses keep `change` as how much worse (+ = worse), which for a figure that
 * worsens downward is the share of the base it lost, 1 − head/base (a halving of throughput:
 * +0.5), or base − head on its own scale; this turns it back (−50 %; −5 pp).
 */
export function readChange(of: Pick<ChangeOf, 'worse' | 'scale'>, worseBy: number): number {
  return of.worse === 'up' ? worseBy : -worseBy;
}

/** An interval of "how much worse" [lo, hi], read as changes head against base, low end first. */
export function readRange(of: Pick<ChangeOf, 'worse' | 'scale'>, range: readonly [number, number]): [number, number] {
  const [a, b] = [readChange(of, range[0]), readChange(of, range[1])];
  return a <= b ? [a, b] : [b, a];
}

/**
 * A compared metric's change, the one way perfgate writes it everywhere (report, stdout,
 * annotations): head against base, as a reader computes it (`worseBy` is how much worse, as the
 * analyses keep it; readChange): % for metrics compared as ratios, percentage points for error
 * rates and shares compared on their own scale, bytes for memory per request, MB/min for memory
 * growth. `fixed`: a fixed number of decimals and ASCII signs, for terminals and logs.
 */
export function signedChange(of: ChangeOf, worseBy: number, fixed = false): string {
  return signedReading(of, readChange(of, worseBy), fixed);
}

/** A change already read head against base (readChange), written as signedChange writes it. */
export function signedReading(of: Pick<ChangeOf, 'metric' | 'scale'>, change: number, fixed = false): string {
  const sign = change >= 0 ? '+' : fixed ? '-' : '−';
  const num = (x: number, digits: number): string => (fixed ? x.toFixed(digits) : formatNumber(x, digits));
  if (of.metric === 'memory_per_request') return `${sign}${formatBytes(Math.round(Math.abs(change)))}`;
  if (of.metric === 'errors' || of.scale === 'abs') return `${sign}${num(Math.abs(change * 100), 2)} pp`;
  if (of.metric === 'memory.growth') return `${sign}${num(Math.abs(change) / 1024 ** 2, 2)} MB/min`;
  return `${sign}${num(Math.abs(change * 100), 1)} %`;
}

/** An interval of "how much worse", read head against base: "−24.1 % … −15.2 %". */
export function signedRange(of: ChangeOf, range: readonly [number, number], fixed = false, joiner = ' … '): string {
  return readRange(of, range)
    .map((x) => signedReading(of, x, fixed))
    .join(joiner);
}
