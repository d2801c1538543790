// One way of writing a change and one result.json reader, used by the report, stdout and annotations.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RESULT_SCHEMA_VERSION } from '../../../src/contract/result.js';
import { readResult } from '../../../src/util/output.js';
import { tempDir } from '../../helpers.js';

describe('readResult', () => {
  const dir = tempDir();
  const write = (name: string, doc: unknown): string => {
    const f = join(dir, name);
    writeFileSync(f, typeof doc === 'string' ? doc : JSON.stringify(doc));
    return f;
  };

  it('reads a result.json of this schema version', () => {
    const f = write('ok.json', { tool: 'perfgate', schemaVersion: RESULT_SCHEMA_VERSION, config: { fingerprint: 'abc' } });
    expect(readResult(f, '--current ok.json').config.fingerprint).toBe('abc');
  });

  it('refuses anything else, naming where the file came from', () => {
    expect(() => readResult(write('bad.json', '{'), 'input "result"')).toThrow(/^input "result": cannot read .*bad\.json/);
    expect(() => readResult(write('k6.json', { metrics: {} }), '--current k6.json')).toThrow(
      /--current k6\.json: .*k6\.json is not a perfgate result\.json of schema version 1/,
    );
    expect(() => readResult(write('v2.json', { tool: 'perfgate', schemaVersion: 2, config: { fingerprint: 'x' } }), 'x')).toThrow(
      /schema version 1/,
    );
    expect(() => readResult(join(dir, 'missing.json'), 'x')).toThrow(/cannot read/);
  });
});
