import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isLoopback } from '../../src/config/load.js';
import { fdProblem, readFdLimit } from '../../src/load/fd-limit.js';
import { streamProgress } from '../../src/progress.js';
import { PERFGATE_VERSION } from '../../src/version.js';

describe('open-file limit', () => {
  it('reads this process limit on Linux', () => {
    const limit = readFdLimit();
    expect(limit!.soft).toBeGreaterThan(0);
    expect(limit!.hard).toBeGreaterThanOrEqual(limit!.soft);
  });

  it('says how to fix a limit that is too low, and nothing when it is enough', () => {
    expect(fdProblem(1000, { soft: 20000, hard: 20000 })).toBeUndefined();
    expect(fdProblem(1000, undefined)).toBeUndefined();
    const msg = fdProblem(5000, { soft: 1024, hard: 1024 });
    expect(msg).toMatch(/5000 connections need about 5064 open files, but this process may open only 1024/);
    expect(msg).toMatch(/ulimit -Hn 10128/);
  });
});

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

describe('odds and ends', () => {
  it('the version constant matches package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(PERFGATE_VERSION).toBe(pkg.version);
  });

  it('knows loopback hosts', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '[::1]', '::1']) expect(isLoopback(h)).toBe(true);
    for (const h of ['10.0.0.1', 'example.com', '128.0.0.1', '0.0.0.0']) expect(isLoopback(h)).toBe(false);
  });
});
