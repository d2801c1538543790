// The yardstick (templates/yardstick/yardstick.cjs): a fixed reference workload perfgate runs
// beside the service, pinned to the CPUs the service may use, while the service is loaded. Read
// at the same trial boundaries as the service's CPU time, it gives each trial the CPU time one
// of its operations cost at that moment, so that a run's CPU per request can be read relative
// to how fast the machine was then (history mode compares runs made on different moments of a
// shared runner). It costs the machine about 3 % of one CPU (one operation of under 1 ms every
// 25 ms).
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { YardstickFigures } from '../contract/scenario-result.js';
import { assetPath } from '../util/assets.js';
import { allowedCpus, pinProcess } from './pin.js';

/** Milliseconds between two operations. */
export const YARDSTICK_PERIOD_MS = 25;

interface Totals {
  ops: number;
  cpuUs: number;
  /** Time it waited for a CPU (run-queue delay), µs; null off Linux. */
  waitUs?: number | null;
}

export class Yardstick {
  /** One entry per kept trial, null where a reading failed or no operation ran. */
  readonly readings: (YardstickFigures | null)[] = [];
  /** Where it runs: the CPUs it was pinned to, or why it was not. */
  readonly cpus: number[] | null;
  readonly pinNote: string | null;
  private before: Totals | null = null;
  private replies: ((t: Totals) => void)[] = [];

  private constructor(
    private readonly child: ChildProcess,
    cpus: number[] | null,
    pinNote: string | null,
  ) {
    this.cpus = cpus;
    this.pinNote = pinNote;
    child.on('message', (m: unknown) => {
      if (m && typeof m === 'object' && 'ops' in m) this.replies.shift()?.(m as Totals);
    });
  }

  /**
   * Starts the yardstick on the CPUs process `pid` (the service) may run on, and waits until it
   * has compiled its operation. Null when it cannot start (it is a measurement aid: the run goes on).
   */
  static async start(pid: number | undefined, o: { periodMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<Yardstick | null> {
    let child: ChildProcess;
    try {
      child = fork(assetPath('templates', 'yardstick', 'yardstick.cjs'), [String(o.periodMs ?? YARDSTICK_PERIOD_MS)], {
        stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
        execArgv: [],
        // The run's environment (its markers included), without NODE_OPTIONS: nothing is loaded into it.
        env: { ...(o.env ?? process.env), NODE_OPTIONS: '' },
      });
    } catch {
      return null;
    }
    // A send racing its exit emits 'error' on the child: a lost reading, never a crash of the run.
    child.on('error', () => {});
    const ready = await Promise.race([
      once(child, 'message').then(([m]) => m === 'ready'),
      once(child, 'exit').then(() => false),
      new Promise<boolean>((r) => setTimeout(() => r(false), 10_000).unref()),
    ]);
    if (!ready || child.pid === undefined) {
      child.kill('SIGKILL');
      return null;
    }
    const cpus = pid !== undefined ? await allowedCpus(pid) : null;
    const problem = cpus ? await pinProcess(child.pid, cpus) : 'the CPUs the service may use could not be read';
    return new Yardstick(child, problem ? null : cpus, problem);
  }

  private async totals(): Promise<Totals | null> {
    if (!this.child.connected) return null;
    const reply = new Promise<Totals | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), 2000);
      this.replies.push((t) => {
        clearTimeout(timer);
        resolve(t);
      });
    });
    this.child.send('read');
    return reply;
  }

  /** Called at the measured trials' boundaries, as the service's CPU time is read. */
  readonly boundary = async (when: 'before' | 'after', kept: boolean): Promise<void> => {
    if (when === 'before') {
      this.before = await this.totals();
      return;
    }
    if (!kept) return;
    const after = await this.totals();
    const before = this.before;
    this.readings.push(before && after ? yardstickFigures(before, after) : null);
  };

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    if (this.child.connected) this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  }
}

/** The figures of one trial from the totals before and after it (null: no operation ran). */
export function yardstickFigures(before: Totals, after: Totals): YardstickFigures | null {
  const ops = after.ops - before.ops;
  const cpuUs = after.cpuUs - before.cpuUs;
  if (ops <= 0 || cpuUs <= 0) return null;
  const wait = typeof before.waitUs === 'number' && typeof after.waitUs === 'number' ? Math.max(0, after.waitUs - before.waitUs) : null;
  return { ops, cpuUs, perOpUs: cpuUs / ops, ...(wait !== null ? { waitPerOpUs: wait / ops } : {}) };
}
