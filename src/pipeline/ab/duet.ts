// Duet pairs: both builds loaded at the same time, their services pinned to the same CPU(s) and
// the load generator to the others, so that whatever slows the machine during a pair slows both.
// Crossed over: the build that holds the first slot (started, given its port and warmed up
// first) changes at planned points, restarting both, so that each build spends pairs in each
// slot and the analysis cancels whatever the slot itself does (crossoverT).
import type { ScenarioRun } from '../../load/scenario.js';
import type { Launched } from '../../service/launch.js';
import { createRng } from '../../stats/rng.js';
import { loadError } from '../measure.js';
import { otherSide, type AbRun, type Side } from './ab-run.js';
import { pinDuet, type DuetCpus, type Pinning } from './design.js';

export interface DuetOutcome {
  /** Pinning was refused: the run goes on interleaved, with this note (both services still up). */
  fallback?: string;
  /** The pinning in force, to restore once the run is over. */
  pinned?: Pinning;
}

/**
 * After which pairs the slots swap: halfway to the first look, then at every later look, so that
 * every look has pairs in both arrangements and every second look is balanced.
 */
export function crossoverPoints(looks: readonly number[]): number[] {
  const first = looks[0] ?? 1;
  return [...new Set([Math.ceil(first / 2), ...looks.slice(0, -1)])].filter((n) => n > 0);
}

export async function runDuet(run: AbRun, cpus: DuetCpus): Promise<DuetOutcome> {
  const rng = createRng(Math.floor(Math.random() * 2 ** 31));
  const swaps = crossoverPoints(run.looks);
  let first: Side = 'base';
  let pinned: Pinning | undefined;
  for (;;) {
    const both = await startPair(run, first);
    if (!both) return { pinned };
    const pin = await pinDuet(cpus, [both.base, both.head]);
    if (pin.failed) {
      if (pinned) {
        // Pinned before, refused now: the run cannot go on as a duet; say so as a failure of the design.
        run.fail('head', { kind: 'internal', message: `CPU pinning was refused after a restart (${pin.note})`, logTail: [] });
        return { pinned };
      }
      return { fallback: pin.note };
    }
    pinned ??= pin;
    run.startSampling('base');
    run.startSampling('head');
    for (;;) {
      if (!(await onePair(run, both, rng))) return { pinned };
      run.firstSlot += first === 'base' ? 'B' : 'H';
      run.order += 'D';
      if (run.afterBatch()) return { pinned };
      if (swaps.includes(run.batches)) break;
    }
    await run.stopAll();
    first = otherSide(first);
  }
}

/**
 * Both services started in the arrangement's order (the first slot's build first), then warmed
 * up at the same time, as their pairs will load them (half the time of one after the other, and
 * neither is warmed while the other idles); undefined after a failure.
 */
async function startPair(run: AbRun, first: Side): Promise<Record<Side, Launched> | undefined> {
  const a = await run.up(first, false);
  const b = a ? await run.up(otherSide(first), false) : undefined;
  if (!a || !b) return undefined;
  const both = first === 'base' ? { base: a, head: b } : { base: b, head: a };
  const warmed = await Promise.all([run.warmUp('base', both.base), run.warmUp('head', both.head)]);
  return warmed.every(Boolean) ? both : undefined;
}

/** One trial of every scenario on both builds at once; false when the run must stop. */
async function onePair(run: AbRun, both: Record<Side, Launched>, rng: ReturnType<typeof createRng>): Promise<boolean> {
  for (const scenario of run.compared) {
    // Which side's trial starts first (microseconds apart) is drawn for every pair.
    const sidesInOrder: Side[] = rng.next() < 0.5 ? ['base', 'head'] : ['head', 'base'];
    const runs = await Promise.allSettled(sidesInOrder.map((s) => run.runOne(s, both[s], scenario)));
    // A side whose load failed is that side's failure: a base that cannot be measured is not the head's regression.
    const thrown = runs.findIndex((r) => r.status === 'rejected');
    if (thrown >= 0) {
      const s = sidesInOrder[thrown]!;
      run.fail(s, loadError(both[s], scenario.name, (runs[thrown] as PromiseRejectedResult).reason));
      return false;
    }
    const kept = sidesInOrder.map((s, i) => run.record(s, both[s], scenario, (runs[i] as PromiseFulfilledResult<ScenarioRun>).value));
    if (kept.includes(false)) return false;
  }
  return true;
}
