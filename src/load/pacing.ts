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

/**
 * The open model's waiting room: due times (ms) of requests that found no free connection, in
 * order. A ring buffer, so taking the oldest costs O(1) however long the queue grows under
 * overload (Array.shift() copies the array: 42 µs a call at 400 000 waiting).
 */
export class DueQueue {
  private items = new Float64Array(1024);
  private head = 0;
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(due: number): void {
    if (this.size === this.items.length) {
      const next = new Float64Array(this.items.length * 2);
      for (let i = 0; i < this.size; i++) next[i] = this.items[(this.head + i) % this.items.length]!;
      this.items = next;
      this.head = 0;
    }
    this.items[(this.head + this.size) % this.items.length] = due;
    this.size++;
  }

  /** The oldest due time, or undefined. */
  peek(): number | undefined {
    return this.size ? this.items[this.head] : undefined;
  }

  shift(): number | undefined {
    if (!this.size) return undefined;
    const due = this.items[this.head]!;
    this.head = (this.head + 1) % this.items.length;
    this.size--;
    return due;
  }
}
