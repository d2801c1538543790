// Load from several processes on one machine: each child runs the load engine (with our µs
// histograms) for its share of the connections and rate; the parent merges each trial
// exactly. The children are this same program started with a flag, so the CLI and the Action
// bundle both carry their worker; from source (tests, benchmarks) the built CLI is used.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../util/assets.js';
import type { ScenarioConfig } from '../config/types.js';
import { decodeHistogram } from './histogram.js';
import { mergeParallel, split, type TrialPart } from './merge.js';
import { newSeed, startTrial, type TrialData, type TrialLive, type TrialRun } from './trial.js';

export const LOAD_WORKER_FLAG = '__perfgate-load-worker';

type ToWorker = { type: 'trial'; baseUrl: string; scenario: ScenarioConfig; durationMs: number; seed: number } | { type: 'stop' };
type FromWorker = { type: 'live'; live: TrialLive } | { type: 'done'; result: TrialPart } | { type: 'error'; message: string };

/** The script a worker runs: this bundle when running from one, else the built CLI. */
export function workerScript(): string {
  const self = fileURLToPath(import.meta.url);
  if (/[\\/]dist[\\/](cli[\\/])?index\.js$/.test(self)) return self;
  const cli = join(packageRoot(), 'dist', 'cli', 'index.js');
  if (!existsSync(cli)) throw new Error(`load.processes needs the built CLI (${cli}); run npm run build`);
  return cli;
}

/** The share of one of `n` parts: connections split evenly, the rate in proportion. */
export function shareOf(scenario: ScenarioConfig, index: number, n: number, processes = 1): ScenarioConfig {
  const connections = split(scenario.connections, n)[index]!;
  return {
    ...scenario,
    connections,
    ...(scenario.rate !== undefined ? { rate: (scenario.rate * connections) / scenario.connections } : {}),
    processes: Math.min(processes, connections),
  };
}

/** A set of worker processes for one scenario; trials start in all of them at once. */
export class LoadPool {
  private readonly children: ChildProcess[] = [];

  constructor(readonly size: number) {
    const script = workerScript();
    for (let i = 0; i < size; i++) {
      this.children.push(fork(script, [LOAD_WORKER_FLAG], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'advanced' }));
    }
  }

  /** Same contract as startTrial, with the load split over the pool. */
  readonly start = (baseUrl: string, scenario: ScenarioConfig, durationMs: number): TrialRun => {
    const lives: TrialLive[] = this.children.map(() => ({ responses: 0, ok: 0, errors: 0, elapsedMs: 0 }));
    // A fresh schedule every trial (independent samples), a different one in every process.
    const seed = newSeed();
    const parts = this.children.map(
      (child, i) =>
        new Promise<{ result: TrialPart }>((resolve, reject) => {
          const onMessage = (m: FromWorker): void => {
            if (m.type === 'live') lives[i] = m.live;
            else {
              cleanup();
              if (m.type === 'done') resolve(m);
              else reject(new Error(m.message));
            }
          };
          const onExit = (code: number | null, signal: string | null): void => {
            cleanup();
            reject(new Error(`load process ${i + 1} of ${this.size} exited (${signal ?? `code ${code}`}) during a trial`));
          };
          const cleanup = (): void => {
            child.off('message', onMessage);
            child.off('exit', onExit);
          };
          child.on('message', onMessage);
          child.on('exit', onExit);
          child.send({ type: 'trial', baseUrl, scenario: shareOf(scenario, i, this.size), durationMs, seed: seed + i } satisfies ToWorker);
        }),
    );
    const done: Promise<TrialData> = Promise.all(parts).then((all) => {
      const result = mergeParallel(all.map((p) => p.result));
      return {
        result,
        histogram: decodeHistogram(result.histogram),
        stepHistograms: (result.steps ?? []).map((s) => decodeHistogram(s.histogram)),
      };
    });
    return {
      done,
      stop: () => {
        for (const c of this.children) if (c.connected) c.send({ type: 'stop' } satisfies ToWorker);
      },
      live: () => ({
        responses: lives.reduce((a, l) => a + l.responses, 0),
        ok: lives.reduce((a, l) => a + l.ok, 0),
        errors: lives.reduce((a, l) => a + l.errors, 0),
        elapsedMs: Math.max(...lives.map((l) => l.elapsedMs)),
      }),
    };
  };

  /** Ends every worker; waits for them to exit. */
  async close(): Promise<void> {
    await Promise.all(
      this.children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGTERM');
            setTimeout(() => c.kill('SIGKILL'), 3000).unref();
          }),
      ),
    );
  }
}

/** The worker side: run each trial it is sent, report live figures, send back the result. */
export function runLoadWorker(): void {
  let current: TrialRun | undefined;
  process.on('message', (m: ToWorker) => {
    if (m.type === 'stop') {
      current?.stop();
      return;
    }
    const run = startTrial(m.baseUrl, m.scenario, m.durationMs, { seed: m.seed });
    current = run;
    const tick = setInterval(() => process.send?.({ type: 'live', live: run.live() } satisfies FromWorker), 100);
    run.done.then(
      (data) => {
        clearInterval(tick);
        current = undefined;
        process.send?.({ type: 'done', result: data.result } satisfies FromWorker);
      },
      (err: Error) => {
        clearInterval(tick);
        current = undefined;
        process.send?.({ type: 'error', message: err.message } satisfies FromWorker);
      },
    );
  });
  process.on('disconnect', () => process.exit(0));
}
