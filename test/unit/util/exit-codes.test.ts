import { describe, expect, it } from 'vitest';
import { ConfigError, UsageError } from '../../../src/util/errors.js';
import { errorExitCode, runExitCode } from '../../../src/util/exit-codes.js';

describe('exit codes', () => {
  it('a run: interrupted 130 before failed 1 before passed 0', () => {
    expect(runExitCode({ verdict: 'pass' })).toBe(0);
    expect(runExitCode({ verdict: 'fail' })).toBe(1);
    expect(runExitCode({ verdict: 'pass', failure: { kind: 'crashed' } })).toBe(1);
    expect(runExitCode({ verdict: 'fail', failure: { kind: 'aborted' } })).toBe(130);
  });

  it('an error: the user’s to fix 2, perfgate’s 3', () => {
    expect(errorExitCode(new UsageError('x'))).toBe(2);
    expect(errorExitCode(new ConfigError('/x/perfgate.yml', [{ path: 'a', message: 'b' }]))).toBe(2);
    expect(errorExitCode(new TypeError('bug'))).toBe(3);
  });
});
