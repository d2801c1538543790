// Multiple-comparison adjustments. Pure; the order of the input is kept.

/** Holm's step-down adjustment (controls the family-wise error rate). Same as R's p.adjust(p, "holm"). */
export function holm(p: readonly number[]): number[] {
  const m = p.length;
  const order = p.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(m);
  let running = 0;
  order.forEach(([v, i], k) => {
    running = Math.max(running, Math.min(1, (m - k) * v));
    out[i] = running;
  });
  return out;
}

/** Benjamini–Hochberg step-up adjustment (controls the false discovery rate). Same as R's p.adjust(p, "BH"). */
export function benjaminiHochberg(p: readonly number[]): number[] {
  const m = p.length;
  const order = p.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]);
  const out = new Array<number>(m);
  let running = 1;
  order.forEach(([v, i], k) => {
    const rankFromTop = m - k; // 1-based rank in ascending order
    running = Math.min(running, Math.min(1, (m / rankFromTop) * v));
    out[i] = running;
  });
  return out;
}
