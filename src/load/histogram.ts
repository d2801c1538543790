// Latency histograms at microsecond resolution (HdrHistogram, 3 significant digits), and the
// figures perfgate reports from them. Values are recorded in µs and reported in ms as floats.
import * as hdr from 'hdr-histogram-js';
import type { LatencySummary } from '../contract/result.js';

export type Histogram = ReturnType<typeof hdr.build>;

/** Longest latency tracked: 10 minutes, far past any request timeout. */
const HIGHEST_US = 600_000_000;

export function newHistogram(): Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 3,
    bitBucketSize: 32,
    useWebAssembly: false,
  });
}

/** Records one latency given in ms (float); values are clamped into the trackable range. */
export function recordMs(h: Histogram, ms: number): void {
  h.recordValue(Math.min(HIGHEST_US, Math.max(1, Math.round(ms * 1000))));
}

export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decodeHistogram(encoded: string): Histogram {
  return hdr.decodeFromCompressedBase64(encoded, 32, false);
}

/** The exact union of several histograms (counts added bucket by bucket). */
export function mergeHistograms(parts: Histogram[]): Histogram {
  const out = newHistogram();
  for (const p of parts) out.add(p);
  return out;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

export function summarize(h: Histogram): LatencySummary {
  if (h.totalCount === 0)
    return {
      count: 0,
      min: 0,
      mean: 0,
      stdev: 0,
      p50: 0,
      p90: 0,
      p95: 0,
      p99: 0,
      max: 0,
    };
  const ms = (us: number): number => round3(us / 1000);
  return {
    count: h.totalCount,
    min: ms(h.minNonZeroValue),
    mean: ms(h.mean),
    stdev: ms(h.stdDeviation),
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p95: ms(h.getValueAtPercentile(95)),
    p99: ms(h.getValueAtPercentile(99)),
    // The bucket's upper edge, as a merged histogram knows it: a run and its merge agree.
    max: ms(h.getValueAtPercentile(100)),
  };
}

/** Any percentile, in ms. */
export function percentileMs(h: Histogram, p: number): number {
  return h.totalCount === 0 ? 0 : round3(h.getValueAtPercentile(p) / 1000);
}
