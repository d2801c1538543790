// One scenario: a warm-up, then K trials of fixed duration. Stops early (keeping what was
// measured) when `interrupt()` gives a reason: the service died, the user pressed Ctrl-C.
import type { ScenarioConfig } from '../config/types.js';
import type { TrialResult } from '../contract/result.js';
import type { Histogram } from './histogram.js';
import { startTrial, type TrialLive } from './trial.js';

export interface ScenarioRun {
  trials: TrialResult[];
  histograms: Histogram[];
  /** Trial windows (epoch ms), for attributing service samples. */
  windows: { start: number; end: number }[];
  interrupted?: string;
}

export interface ScenarioHooks {
  /** A reason to stop now, or undefined to go on. Polled every 100 ms. */
  interrupt(): string | undefined;
  /** Live figures while a phase runs. */
  onLive?(phase: string, live: TrialLive, totalMs: number): void;
  onPhase?(phase: string): void;
  /**
   * Called before each measured trial starts and after it ends (`kept`: whether the trial was
   * recorded), outside the trial's window: where the service's metrics are scraped.
   */
  trialBoundary?(when: 'before' | 'after', kept: boolean): Promise<void>;
}

/** How a trial is started: in this process (startTrial), or split over a LoadPool. */
export type TrialStarter = typeof startTrial;

export async function runScenario(
  baseUrl: string,
  scenario: ScenarioConfig,
  hooks: ScenarioHooks,
  begin: TrialStarter = startTrial,
): Promise<ScenarioRun> {
  const out: ScenarioRun = { trials: [], histograms: [], windows: [] };
  const phases: { label: string; ms: number; measured: boolean }[] = [];
  if (scenario.warmupMs > 0) phases.push({ label: 'warm-up', ms: scenario.warmupMs, measured: false });
  for (let i = 0; i < scenario.trials; i++)
    phases.push({
      label: `trial ${i + 1}/${scenario.trials}`,
      ms: scenario.durationMs,
      measured: true,
    });

  for (const phase of phases) {
    const reason = hooks.interrupt();
    if (reason) {
      out.interrupted = reason;
      break;
    }
    hooks.onPhase?.(phase.label);
    if (phase.measured) await hooks.trialBoundary?.('before', true);
    const start = Date.now();
    const run = begin(baseUrl, scenario, phase.ms);
    let stopReason: string | undefined;
    const poll = setInterval(() => {
      hooks.onLive?.(phase.label, run.live(), phase.ms);
      stopReason ??= hooks.interrupt();
      if (stopReason) run.stop();
    }, 100);
    let data;
    try {
      data = await run.done;
    } finally {
      clearInterval(poll);
    }
    if (stopReason) {
      out.interrupted = stopReason;
      // A cut-short trial is kept when it measured something: it shows what happened up to the failure.
      const kept = phase.measured && data.result.requests + data.result.errors.total > 0;
      const end = Date.now();
      if (phase.measured) await hooks.trialBoundary?.('after', kept);
      if (kept) {
        out.trials.push({ index: out.trials.length, ...data.result });
        out.histograms.push(data.histogram);
        out.windows.push({ start, end });
      }
      break;
    }
    if (phase.measured) {
      const end = Date.now();
      await hooks.trialBoundary?.('after', true);
      out.trials.push({ index: out.trials.length, ...data.result });
      out.histograms.push(data.histogram);
      out.windows.push({ start, end });
    }
  }
  return out;
}
