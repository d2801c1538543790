// The open model's schedule: when each request is meant to be sent. Evenly spaced by default
// (one every 1/rate seconds), or a Poisson process (exponential gaps with the same mean) when a
// scenario asks for it. Pure: the gaps come from a seeded generator, so a schedule can be replayed.
import { createRng } from '../stats/rng.js';

export type Arrival = 'uniform' | 'poisson';

export interface Schedule {
  /** The gap (ms) from one intended send to the next. */
  nextGap(): number;
}

export function schedule(rate: number, arrival: Arrival, seed = 1): Schedule {
  const meanMs = 1000 / rate;
  if (arrival === 'uniform') return { nextGap: () => meanMs };
  const rng = createRng(seed);
  return { nextGap: () => -Math.log(1 - rng.next()) * meanMs };
}
