// Interleaved blocks: one build loaded at a time, in blocks ordered B,H,H,B,B,H… so that drift
// over time hits both sides alike; each block runs one trial of every scenario. Both builds stay
// up for the whole measurement when they can (each on its own free port): the one not being
// loaded sits idle, so they do not share the CPU, and each is started and warmed up once.
// Restarting for every block made each trial a first trial after a start: on the demo, p95
// varied by sd(log) 0.6 between A/B trials against 0.1–0.2 within one start. A fixed port, or a
// service without a command, falls back to one service at a time.
import type { ScenarioRun } from '../../load/scenario.js';
import type { Launched } from '../../service/launch.js';
import { loadError } from '../measure.js';
import type { AbRun, Side } from './ab-run.js';

export class Interleaved {
  private active: Side | undefined;

  constructor(
    private readonly run: AbRun,
    /** Both builds may stay up at once. */
    private readonly keepBoth: boolean,
  ) {}

  /** Blocks until sampling stops (or a failure). */
  async blocks(): Promise<void> {
    const run = this.run;
    for (;;) {
      for (const s of run.batches % 2 === 0 ? (['base', 'head'] as const) : (['head', 'base'] as const)) {
        const launched = await this.ensure(s);
        if (!launched) return;
        for (const scenario of run.compared) {
          let one: ScenarioRun;
          try {
            one = await run.runOne(s, launched, scenario);
          } catch (err) {
            run.fail(s, loadError(launched, scenario.name, err));
            return;
          }
          if (!run.record(s, launched, scenario, one)) return;
        }
        run.order += s === 'base' ? 'B' : 'H';
      }
      if (run.afterBatch()) return;
    }
  }

  /** The side loaded next: the other one idled (or stopped, when both cannot run at once), this one up and sampled. */
  async ensure(s: Side): Promise<Launched | undefined> {
    if (this.active === s) return this.run.alive[s];
    await this.deactivate();
    const launched = await this.run.up(s);
    if (!launched) return undefined;
    this.active = s;
    this.run.startSampling(s);
    return launched;
  }

  private async deactivate(): Promise<void> {
    if (!this.active) return;
    if (this.keepBoth) await this.run.stopSampling(this.active);
    else await this.run.stop(this.active);
    this.active = undefined;
  }
}
