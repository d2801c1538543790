import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';

const cfg = (baseline: string): string =>
  `service: { command: node server.js, cwd: app, env: { A: "1" }, ready: { http: /health } }\n${baseline}scenarios:\n  - { name: a, request: { path: / } }\n`;

describe('config: baseline', () => {
  it('ref alone: the head service block for the base, A/B mode', () => {
    const c = parseConfig(cfg('baseline: { ref: auto, setup: "npm ci" }\n'), '/x/perfgate.yml');
    expect(c.mode).toBe('ab');
    expect(c.baseline).toMatchObject({ ref: 'auto', setup: 'npm ci' });
    expect(c.baseline!.service).toBe(c.service);
  });

  it('ref with baseline.service: only the fields written there differ', () => {
    const c = parseConfig(cfg('baseline:\n  ref: main\n  service: { env: { A: "2" } }\n'), '/x/perfgate.yml');
    expect(c.baseline!.service.command).toBe('node server.js');
    expect(c.baseline!.service.cwd).toBe('/x/app');
    expect(c.baseline!.service.env).toEqual({ A: '2' });
  });

  it('without ref: baseline.service as written (the two-checkout recipe still works)', () => {
    const c = parseConfig(cfg('baseline:\n  service: { command: node base.js, ready: { http: /health } }\n'), '/x/perfgate.yml');
    expect(c.baseline!.service.command).toBe('node base.js');
    expect(c.baseline!.ref).toBeUndefined();
  });

  it('neither ref nor service, or setup without ref: located errors', () => {
    expect(() => parseConfig(cfg('baseline: {}\n'), '/x/perfgate.yml')).toThrow(/perfgate\.yml:2:\d+: baseline: baseline needs ref/);
    expect(() => parseConfig(cfg('baseline:\n  setup: npm ci\n  service: { command: node b.js }\n'), '/x/perfgate.yml')).toThrow(
      /perfgate\.yml:3:\d+: baseline\.setup: setup prepares a checkout of baseline\.ref/,
    );
  });
});
