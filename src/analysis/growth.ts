// Memory growth: a line through the service's RSS samples taken during measured load (warm-ups
// excluded), one intercept per scenario so that a scenario holding more connections does not
// read as a leak. Reported in bytes per minute with a 95 % interval and R². Pure.
import { formatSeconds, formatValue } from './format.js';
import { withinSlope } from '../stats/linear.js';
import type { MemoryGrowth } from '../contract/result.js';
import type { Window } from './aggregate.js';

/**
 * "Grew steadily" needs the interval above zero, the line to explain this much of the variance,
 * this much growth, and this much load: in the first seconds of load a healthy Node service's
 * RSS climbs just as straight (measured on the demo: 14–18 MB/min, R² 0.93–0.99 over 6 s) while
 * its heap grows to its working size, so a shorter window cannot tell that from a leak.
 */
export const STEADY_R2 = 0.5;
export const STEADY_MIN_BYTES_PER_MIN = 1024 ** 2;
export const STEADY_MIN_SPAN_MS = 30_000;

/**
 * Why `loadMs` of measured load is too short to judge memory growth by (a target or a
 * comparison), or null when it is long enough.
 */
export function tooShortForGrowth(loadMs: number): string | null {
  if (loadMs >= STEADY_MIN_SPAN_MS) return null;
  return `${formatSeconds(loadMs)} of load; a leak needs at least ${STEADY_MIN_SPAN_MS / 1000} s to tell from heap sizing`;
}

/**
 * `groups`: the trial windows of each scenario (epoch ms). null when fewer than 4 samples fall
 * inside them, or they span no time.
 */
export function memoryGrowth(samples: readonly { t: number; rss: number }[], groups: readonly Window[][]): MemoryGrowth | null {
  const points = groups.flatMap((windows, group) =>
    samples.filter((s) => windows.some((w) => s.t >= w.start && s.t <= w.end)).map((s) => ({ x: s.t / 60_000, y: s.rss, group })),
  );
  const fit = withinSlope(points);
  if (!fit) return null;
  const round = (x: number): number => Math.round(x);
  const straight = fit.ci[0] > 0 && fit.r2 >= STEADY_R2 && fit.slope >= STEADY_MIN_BYTES_PER_MIN;
  const spanMs = groups.flat().reduce((a, w) => a + (w.end - w.start), 0);
  const steady = straight && spanMs >= STEADY_MIN_SPAN_MS;
  const fmt = (x: number): string => formatValue(x, 'bytes-per-minute');
  const ci = `95 % CI ${fmt(fit.ci[0])} to ${fmt(fit.ci[1])}`;
  const span = spanMs >= 60_000 ? `${(spanMs / 60_000).toFixed(1)} min of load` : `${Math.round(spanMs / 1000)} s of load`;
  const sentence = steady
    ? `Memory grew steadily at ${fmt(fit.slope)} (${ci}, R² ${fit.r2.toFixed(2)}, ${fit.n} samples over ${span}).`
    : straight
      ? `Memory rose at ${fmt(fit.slope)} (${ci}) during only ${span}: too short to tell a leak from the heap growing to its working size; measure at least ${STEADY_MIN_SPAN_MS / 1000} s of load to tell.`
      : fit.ci[0] > 0
        ? `Memory rose by ${fmt(fit.slope)} (${ci}) but not steadily (R² ${fit.r2.toFixed(2)}): more likely heap sizing than a leak.`
        : `No steady memory growth: slope ${fmt(fit.slope)} (${ci}, ${fit.n} samples over ${span}).`;
  return {
    slope: round(fit.slope),
    ci: [round(fit.ci[0]), round(fit.ci[1])],
    r2: Math.round(fit.r2 * 1000) / 1000,
    samples: fit.n,
    effectiveSamples: Math.round(fit.nEff * 10) / 10,
    steady,
    sentence,
  };
}
