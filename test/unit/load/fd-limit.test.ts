import { describe, expect, it } from 'vitest';
import { fdProblem, readFdLimit } from '../../../src/load/fd-limit.js';

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
