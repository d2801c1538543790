// Service CPU and memory during load: the whole process tree, summed, every interval.
// pidusage reports 0 % the first time it sees a pid, so the first sample is discarded.
import pidusage from 'pidusage';
import { treePidsAsync } from './tree.js';

export interface ResourceSample {
  /** Epoch ms. */
  t: number;
  /** Percent of one core, summed over the tree. */
  cpu: number;
  /** Resident set size in bytes, summed over the tree. */
  rss: number;
  pids: number;
}

export class ResourceSampler {
  readonly samples: ResourceSample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private first = true;
  private busy = false;
  private readonly seen = new Set<number>();

  constructor(
    private readonly rootPid: number,
    private readonly intervalMs = 500,
  ) {}

  start(): void {
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    while (this.busy) await new Promise((r) => setTimeout(r, 10));
    pidusage.clear();
  }

  private async sample(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const pids = await treePidsAsync(this.rootPid);
      const stats = await Promise.allSettled(pids.map((pid) => pidusage(pid)));
      let cpu = 0;
      let rss = 0;
      let counted = 0;
      stats.forEach((s, i) => {
        if (s.status !== 'fulfilled') return;
        rss += s.value.memory;
        // A pid's first reading is 0 % by construction; only count CPU of pids seen before.
        if (this.seen.has(pids[i]!)) cpu += s.value.cpu;
        this.seen.add(pids[i]!);
        counted++;
      });
      if (counted === 0) return;
      if (this.first) {
        this.first = false;
        return;
      }
      this.samples.push({ t: Date.now(), cpu, rss, pids: counted });
    } finally {
      this.busy = false;
    }
  }
}
