// The service's output: every line goes to the log file and the last lines stay in memory for
// the report; listeners see each line (log-based readiness).

export interface LogLine {
  stream: 'stdout' | 'stderr';
  text: string;
}

export class LogBuffer {
  private readonly lines: LogLine[] = [];
  private readonly partial: Record<LogLine['stream'], string> = {
    stdout: '',
    stderr: '',
  };
  private readonly listeners = new Set<(line: LogLine) => void>();
  /** Lines dropped from memory (they remain in the log file). */
  dropped = 0;

  constructor(
    private readonly keep = 200,
    private readonly sink?: (line: LogLine) => void,
  ) {}

  write(stream: LogLine['stream'], chunk: Buffer | string): void {
    const text = this.partial[stream] + chunk.toString();
    const parts = text.split(/\r?\n/);
    this.partial[stream] = parts.pop()!;
    for (const part of parts) this.push({ stream, text: part });
    // A line without newline that grows past 8 KiB is emitted as is.
    if (this.partial[stream].length > 8192) {
      this.push({ stream, text: this.partial[stream] });
      this.partial[stream] = '';
    }
  }

  /** Emits what is left without a trailing newline (at exit). */
  flush(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partial[stream]) this.push({ stream, text: this.partial[stream] });
      this.partial[stream] = '';
    }
  }

  onLine(listener: (line: LogLine) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  tail(n = 40): LogLine[] {
    return this.lines.slice(-n);
  }

  private push(line: LogLine): void {
    this.lines.push(line);
    if (this.lines.length > this.keep) {
      this.lines.shift();
      this.dropped++;
    }
    this.sink?.(line);
    for (const l of this.listeners) l(line);
  }
}
