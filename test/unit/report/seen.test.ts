import { describe, expect, it } from 'vitest';
import { seenSentence } from '../../../src/report/comparison-view.js';
import type { RunResult } from '../../../src/contract/result.js';

const comparison = (scenario: string, metric: string, gating = true) => ({ scenario, metric, gating, outcome: 'confident pass' });

/** A duet's result with these comparisons, these latencies on a wider δ and these left out. */
const run = (comparisons: object[], ab: object = {}): RunResult =>
  ({ service: { cpuTime: { counted: 'cgroup', note: '' } }, ab: { comparisons, ...ab } }) as unknown as RunResult;

describe('which kinds of slowdown an A/B run could see', () => {
  it('names work in the service and in its dependencies, a leak, waits per scenario (a wider δ with its size) and errors; what stayed out, with why', () => {
    const s = seenSentence(
      run(
        [
          comparison('list', 'cpu_per_request'),
          comparison('list', 'system_cpu_per_request'),
          comparison('list', 'memory_per_request'),
          comparison('list', 'errors'),
          comparison('list', 'p50'),
          comparison('view', 'p95'),
          comparison('view', 'p50', false),
          comparison('search', 'p95', false),
        ],
        {
          widened: [{ scenario: 'view', metric: 'p95', delta: 0.39, why: 'its pairs scatter ±26 % here, …' }],
          notGating: [{ scenario: 'search', metric: 'p95', why: 'its pairs scatter ±90 % here, …' }],
        },
      ),
    );
    expect(s).toBe(
      'This run could see more work in the service (its CPU time per request); ' +
        "more work in the build's own dependencies, such as its database (the system's CPU time per request); " +
        'waits and slower dependencies (latency) in "list", "view" (from +39 %); ' +
        'a leak (the memory each request leaves behind); errors. ' +
        'It could not see a wait in "search" through p95 latency (its pairs scatter ±90 % here, …).',
    );
  });

  it('without a latency in the gate, says a wait that burns no CPU goes unseen', () => {
    expect(seenSentence(run([comparison('list', 'cpu_per_request')]))).toBe(
      'This run could see more work in the service (its CPU time per request). ' +
        'It could not see a wait or a slower dependency that burns no CPU in the service (no latency gates).',
    );
  });
});
