// Samples → service windows: CPU, memory and uptime over the trial windows. Pure.
import type { ServiceWindow } from '../contract/result.js';
import { mean } from '../stats/robust.js';

export interface Window {
  start: number;
  end: number;
}

export interface Samples {
  resources: { t: number; cpu: number; rss: number }[] | null;
  probes: { t: number; ok: boolean }[] | null;
}

/** Service figures over the given time windows (epoch ms). null where nothing was sampled. */
export function serviceWindow(samples: Samples, windows: Window[]): ServiceWindow {
  const inside = (t: number): boolean => windows.some((w) => t >= w.start && t <= w.end);
  const res = samples.resources?.filter((s) => inside(s.t)) ?? [];
  const probes = samples.probes?.filter((p) => inside(p.t)) ?? [];
  const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;
  return {
    cpu: res.length
      ? {
          mean: round(mean(res.map((s) => s.cpu))),
          peak: round(Math.max(...res.map((s) => s.cpu))),
          samples: res.length,
        }
      : null,
    memory: res.length
      ? {
          mean: Math.round(mean(res.map((s) => s.rss))),
          peak: Math.max(...res.map((s) => s.rss)),
          samples: res.length,
        }
      : null,
    uptime: probes.length
      ? {
          probes: probes.length,
          up: probes.filter((p) => p.ok).length,
          ratio: probes.filter((p) => p.ok).length / probes.length,
        }
      : null,
  };
}
