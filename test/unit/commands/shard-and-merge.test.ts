// Scaling out: parallel parts merged exactly, shard files checked before a merge, and other
// tools' outputs imported with what they cannot say marked as such.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { UsageError } from '../../../src/util/errors.js';
import { mergeProblem } from '../../../src/commands/merge-shards.js';
import { parseShard, shardConfig, waitUntil, type ShardFile } from '../../../src/commands/shard.js';
import { silentProgress } from '../../../src/util/progress.js';

const external = (connections = 8) => `name: ext
service: { url: "http://127.0.0.1:3999", ready: { http: /health } }
scenarios:
  - { name: a, request: { path: / }, connections: ${connections}, rate: 800 }
`;

describe('shards', () => {
  it('--shard reads I/N and refuses nonsense', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    for (const bad of ['0/4', '5/4', '2', 'a/b', '1/0']) expect(() => parseShard(bad)).toThrow(/--shard takes INDEX\/COUNT/);
  });

  it('a shard config takes its share; a managed service, a ramp or too few connections are refused', () => {
    const c = parseConfig(external(), '/x/perfgate.yml');
    expect(shardConfig(c, 1, 3).scenarios[0]).toMatchObject({ connections: 3, rate: 300 });
    expect(shardConfig(c, 3, 3).scenarios[0]).toMatchObject({ connections: 2, rate: 200 });
    const managed = parseConfig('service: { command: node s.js }\nscenarios: [{ name: a, request: { path: / } }]\n', '/x/perfgate.yml');
    expect(() => shardConfig(managed, 1, 2)).toThrow(/the service must already be running: give service.url without service.command/);
    expect(() => shardConfig(parseConfig(external(3), '/x/perfgate.yml'), 1, 4)).toThrow(/has 3 connections, fewer than 4 shards/);
    const ramp = parseConfig(`${external()}  - { name: r, request: { path: / }, ramp: { start: 4, max: 16 } }\n`, '/x/perfgate.yml');
    expect(() => shardConfig(ramp, 1, 2)).toThrow(/ramps cannot be sharded/);
  });

  const shard = (index: number, count: number, fingerprint = 'fp1'): { file: string; shard: ShardFile } => ({
    file: `shard-${index}-of-${count}.json`,
    shard: { shard: { index, count }, fingerprint } as ShardFile,
  });

  it.each([
    [
      [shard(1, 2), shard(2, 2, 'fp2')],
      'the shards come from different configs: shard-2-of-2.json has fingerprint fp2, shard-1-of-2.json has fp1',
    ],
    [[shard(1, 2), shard(2, 3)], 'the shards come from different splits'],
    [[shard(1, 2), shard(1, 2)], 'shard 1 of 2 is given twice'],
    [[shard(1, 3), shard(3, 3)], 'shard 2 of 3 missing: a merge of part of the load would understate it'],
    [[shard(1, 2, 'fpX'), shard(2, 2, 'fpX')], 'the shards were measured with a different config than perfgate.yml'],
  ])('mismatched shards are refused with a clear reason (%#)', (shards, reason) => {
    expect(mergeProblem(shards, 'fp1', 'perfgate.yml')).toContain(reason);
  });

  it('a complete set merges', () => {
    expect(mergeProblem([shard(2, 2), shard(1, 2)], 'fp1', 'perfgate.yml')).toBeUndefined();
  });

  it('--start-at must be a near ISO time; a past one starts at once', async () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    await expect(waitUntil('tomorrow', silentProgress, undefined, now)).rejects.toThrow(UsageError);
    await expect(waitUntil('2026-01-01T01:00:00Z', silentProgress, undefined, now)).rejects.toThrow(/60 minutes away; at most 15/);
    const said: string[] = [];
    await waitUntil('2025-12-31T23:59:50Z', { info: (m) => said.push(m), live: () => {} }, undefined, now);
    expect(said[0]).toMatch(/passed 10 s ago; starting now/);
  });
});
