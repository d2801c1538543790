// Scaling out: parallel parts merged exactly, shard files checked before a merge, and other
// tools' outputs imported with what they cannot say marked as such.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';

describe('config: load.processes', () => {
  it('is read per scenario or from load, and needs at least as many connections', () => {
    const c = parseConfig(
      'service: { command: node s.js }\nload: { processes: 2 }\nscenarios:\n  - { name: a, request: { path: / }, connections: 4 }\n  - { name: b, request: { path: / }, connections: 4, processes: 1 }\n',
      '/x/perfgate.yml',
    );
    expect(c.scenarios.map((s) => s.processes)).toEqual([2, 1]);
    expect(() =>
      parseConfig(
        'service: { command: node s.js }\nscenarios:\n  - { name: a, request: { path: / }, connections: 2, processes: 4 }\n',
        '/x/perfgate.yml',
      ),
    ).toThrow(/scenarios\[0\]\.processes: 4 load processes need at least as many connections; "a" has 2/);
  });
});
