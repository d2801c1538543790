// Calibration: how noisy is this machine, and how many trials does A/B mode need? From trials
// of the same build on both sides (A/A). Pure.
//
// Sample size for a one-sided two-sample comparison of log values with trial spread σ, to detect
// a change of δ with power 1 − β at level a:  n = 2·(z₁₋ₐ + z₁₋ᵦ)²·σ² / ln(1 + δ)², times π/3
// (the Mann–Whitney test's efficiency relative to the t-test is 3/π for normal data). The level a
// is the strictest one a comparison faces: α split over the planned looks, then Holm's α/m.
import type { TrialFigures } from '../contract/record.js';
import { COMPARED_METRICS, deltaOf, trialLogs } from './compared-metrics.js';
import type { BuiltinMetric, ComparedMetric } from '../contract/result.js';
import { normalQuantile } from '../stats/distributions.js';
import { robustSd } from '../stats/robust.js';

export interface CalibrationRow {
  scenario: string;
  metric: Exclude<ComparedMetric, 'errors'>;
  /** Trial-to-trial spread on the log scale (≈ coefficient of variation). */
  spread: number;
  trials: number;
  delta: number;
  /** Trials per side needed to detect δ with the requested power. */
  needed: number;
  /** Smallest change detectable with the requested power at the configured max-trials. */
  mdeAtMax: number;
}

export interface CalibrationSettings {
  alpha: number;
  looks: number;
  /** Comparisons in the Holm family. */
  family: number;
  power: number;
  maxTrials: number;
  delta: Record<BuiltinMetric, number>;
}

/** Spread of log values pooled over both sides, each centred on its own median. */
function pooledSpread(a: number[], b: number[]): number {
  const centred = (xs: number[]): number[] => {
    const m = [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
    return xs.map((x) => x - m);
  };
  return robustSd([...centred(a), ...centred(b)]);
}

export function calibrate(
  a: ReadonlyMap<string, TrialFigures[]>,
  b: ReadonlyMap<string, TrialFigures[]>,
  s: CalibrationSettings,
): CalibrationRow[] {
  const level = s.alpha / s.looks / Math.max(1, s.family);
  const z = normalQuantile(1 - level) + normalQuantile(s.power);
  const rows: CalibrationRow[] = [];
  for (const [scenario, ta] of a) {
    const tb = b.get(scenario) ?? [];
    for (const { metric, pick } of COMPARED_METRICS) {
      const la = trialLogs(ta, pick);
      const lb = trialLogs(tb, pick);
      if (la.length < 2 || lb.length < 2) continue;
      const spread = Math.max(pooledSpread(la, lb), 1e-6);
      const delta = deltaOf({ metric }, s.delta);
      const needed = Math.ceil(((2 * z * z * spread * spread) / Math.log1p(delta) ** 2) * (Math.PI / 3));
      const mdeAtMax = Math.expm1(z * spread * Math.sqrt((2 / s.maxTrials) * (Math.PI / 3)));
      rows.push({ scenario, metric, spread, trials: Math.min(la.length, lb.length), delta, needed: Math.max(needed, 3), mdeAtMax });
    }
  }
  return rows;
}
