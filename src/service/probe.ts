// The uptime probe: GET the health URL at a steady pace during load; uptime = share answered 2xx
// within the timeout.
import { httpGet } from './http-get.js';

export interface ProbeSample {
  t: number;
  ok: boolean;
  ms: number;
  status?: number;
  error?: string;
}

export class UptimeProbe {
  readonly samples: ProbeSample[] = [];
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly url: string,
    private readonly intervalMs = 250,
    private readonly timeoutMs = 2000,
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const started = Date.now();
      const r = await httpGet(this.url, this.timeoutMs);
      if (!this.running) break; // a probe cut short by stop() says nothing about uptime
      this.samples.push({
        t: started,
        ok: r.ok,
        ms: r.ms,
        status: r.status,
        error: r.error,
      });
      const wait = Math.max(0, this.intervalMs - (Date.now() - started));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}
