// Progress goes to stderr: on a terminal one live line redrawn in place, elsewhere plain lines
// (CI logs stay readable).

export interface Progress {
  /** A line that stays. */
  info(message: string): void;
  /** A transient status; shown live on a TTY, dropped otherwise. */
  live(message: string): void;
}

export const silentProgress: Progress = { info() {}, live() {} };

export function streamProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  const tty = Boolean(stream.isTTY);
  let liveShown = false;
  const clear = (): void => {
    if (liveShown) stream.write('\r\x1b[2K');
    liveShown = false;
  };
  return {
    info(message) {
      clear();
      stream.write(`${message}\n`);
    },
    live(message) {
      if (!tty) return;
      const width = (stream.columns || 100) - 1;
      stream.write(`\r\x1b[2K${message.length > width ? message.slice(0, width) : message}`);
      liveShown = true;
    },
  };
}
