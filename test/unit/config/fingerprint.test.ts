import { describe, expect, it } from 'vitest';
import { configFingerprint } from '../../../src/config/fingerprint.js';
import { parseConfig } from '../../../src/config/load.js';

const base = `name: a
service: { command: node s.js }
load: { connections: 10, duration: 2s }
scenarios:
  - { name: list, request: { path: /api/products, headers: { x: "1", y: "2" } }, targets: [ "p(95) < 200ms" ] }
targets: [ "rate(errors) < 1%" ]
`;
const fp = (yaml: string): string => configFingerprint(parseConfig(yaml, '/p/perfgate.yml'));

describe('config fingerprint', () => {
  it('ignores what does not change the measurement: names, targets, report, history, key order', () => {
    const f = fp(base);
    expect(fp(base.replace('name: a', 'name: b'))).toBe(f);
    expect(fp(base.replace('"p(95) < 200ms"', '"p(99) < 1s"'))).toBe(f);
    expect(fp(base.replace('targets: [ "rate(errors) < 1%" ]', 'targets: []\nhistory: { store: none }\nregression: { alpha: 0.01 }'))).toBe(
      f,
    );
    expect(fp(base.replace('headers: { x: "1", y: "2" }', 'headers: { y: "2", x: "1" }'))).toBe(f);
  });

  it('changes with anything that does: connections, duration, path, command, rate', () => {
    const f = fp(base);
    for (const changed of [
      base.replace('connections: 10', 'connections: 11'),
      base.replace('duration: 2s', 'duration: 3s'),
      base.replace('/api/products', '/api/products?x=1'),
      base.replace('node s.js', 'node t.js'),
      base.replace('{ name: list,', '{ name: list, rate: 100,'),
    ]) {
      expect(fp(changed)).not.toBe(f);
    }
  });
});
