import { describe, expect, it } from 'vitest';
import { streamProgress } from '../../../src/util/progress.js';

describe('progress', () => {
  const sink = (isTTY: boolean) => {
    let out = '';
    const stream = { isTTY, columns: 40, write: (s: string) => ((out += s), true) } as unknown as NodeJS.WriteStream;
    return { p: streamProgress(stream), text: () => out };
  };

  it('on a terminal redraws one live line and clears it before a lasting line', () => {
    const { p, text } = sink(true);
    p.live('trial 1/2 10%');
    p.live('trial 1/2 50%');
    p.info('done');
    expect(text()).toBe('\r\x1b[2Ktrial 1/2 10%\r\x1b[2Ktrial 1/2 50%\r\x1b[2Kdone\n');
  });

  it('elsewhere (CI logs) prints only plain lasting lines', () => {
    const { p, text } = sink(false);
    p.live('trial 1/2 10%');
    p.info('done');
    expect(text()).toBe('done\n');
  });
});
