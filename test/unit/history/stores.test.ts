import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DirStore } from '../../../src/history/dir-store.js';
import { saveDecision } from '../../../src/history/policy.js';
import { recordFromResult } from '../../../src/contract/record.js';
import { parseRecord } from '../../../src/history/read-record.js';
import type { GitInfo, RunResult } from '../../../src/contract/result.js';
import { createRng } from '../../../src/stats/rng.js';
import { record } from '../../history-fixtures.js';
import { tempDir } from '../../helpers.js';

const rng = createRng(5);

describe('dir store', () => {
  it('saves one file per run atomically and loads them back', async () => {
    const dir = join(tempDir(), 'history');
    const store = new DirStore(dir);
    const a = record(rng, {});
    const b = record(rng, {});
    await store.save(a);
    await store.save(b);
    expect(readdirSync(dir).sort()).toEqual([`${a.id}.json`, `${b.id}.json`].sort()); // no temp files left
    const { records, warnings } = await store.load();
    expect(records.map((r) => r.id).sort()).toEqual([a.id, b.id].sort());
    expect(warnings).toEqual([]);
  });

  it('never overwrites: saving the same id twice fails instead of losing a run', async () => {
    const store = new DirStore(join(tempDir(), 'h'));
    const a = record(rng, {});
    await store.save(a);
    await expect(store.save(a)).rejects.toThrow();
  });

  it('skips corrupt, partial and unknown-schema files with a warning naming each, and leaves them in place', async () => {
    const dir = tempDir();
    const store = new DirStore(dir);
    await store.save(record(rng, {}));
    writeFileSync(join(dir, 'corrupt.json'), '{"kind": "perfgate-run", "id": ');
    writeFileSync(join(dir, 'future.json'), JSON.stringify({ ...record(rng, {}), schemaVersion: 9 }));
    writeFileSync(
      join(dir, 'partial.json'),
      JSON.stringify({
        kind: 'perfgate-run',
        schemaVersion: 1,
        id: 'x',
        savedAt: 'y',
        fingerprint: 'f',
        runner: 'r',
        scenarios: [{ name: 'a', trials: [{ p50: 1 }] }],
      }),
    );
    writeFileSync(join(dir, 'other.json'), '{"hello": "world"}');
    const { records, warnings } = await store.load();
    expect(records).toHaveLength(1);
    expect(warnings).toHaveLength(4);
    expect(warnings.find((w) => w.includes('corrupt.json'))).toMatch(/not JSON .*\(left in place\)/);
    expect(warnings.find((w) => w.includes('future.json'))).toMatch(/schemaVersion 9 is not known/);
    expect(warnings.find((w) => w.includes('partial.json'))).toMatch(/without a numeric "p95"/);
    expect(warnings.find((w) => w.includes('other.json'))).toMatch(/neither a perfgate history record nor a perfgate result.json/);
    for (const f of ['corrupt.json', 'future.json', 'partial.json', 'other.json']) expect(existsSync(join(dir, f))).toBe(true);
    // Pruning does not touch what it cannot read either.
    await store.prune(1);
    for (const f of ['corrupt.json', 'future.json', 'partial.json', 'other.json']) expect(existsSync(join(dir, f))).toBe(true);
  });

  it('prunes explicitly: keeps the newest M runs per config fingerprint', async () => {
    const dir = tempDir();
    const store = new DirStore(dir);
    const mine = Array.from({ length: 6 }, () => record(rng, {}));
    const other = Array.from({ length: 2 }, () => record(rng, {}, { fingerprint: 'other' }));
    for (const r of [...mine, ...other]) await store.save(r);
    const removed = await store.prune(4);
    expect(removed.sort()).toEqual(
      mine
        .slice(0, 2)
        .map((r) => r.id)
        .sort(),
    );
    const left = (await store.load()).records.map((r) => r.id).sort();
    expect(left).toEqual([...mine.slice(2), ...other].map((r) => r.id).sort());
  });
});

describe('records', () => {
  it('a result.json is migrated into a record on read (so compare takes either)', () => {
    const result = JSON.parse(readFileSync(new URL('../../../fixtures/results/demo-pass.json', import.meta.url), 'utf8')) as RunResult;
    const parsed = parseRecord(JSON.stringify(result));
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(parsed.record.fingerprint).toBe(result.config.fingerprint);
    expect(parsed.record.scenarios.map((s) => s.name)).toEqual(result.scenarios.map((s) => s.name));
    expect(parsed.record.scenarios[0]!.trials[0]!.p95).toBe(result.scenarios[0]!.trials[0]!.latency.p95);
    const direct = recordFromResult(result);
    expect(direct.id).not.toBe(recordFromResult(result).id); // ids never collide, even for the same run
    expect(direct.units).toBeUndefined(); // no defined metrics, no units
    const withMetrics: RunResult = {
      ...result,
      metrics: {
        url: '/metrics',
        definitions: [{ name: 'hit_rate', expr: 'x', unit: 'fraction', better: 'higher', delta: 0.05 }],
        scrapes: 2,
        failed: 0,
        problems: [],
        values: {},
      },
    };
    expect(recordFromResult(withMetrics).units).toEqual({ hit_rate: 'fraction' }); // the dashboard labels its axis from this
  });
});

describe('save policy', () => {
  const git = (over: Partial<GitInfo>): GitInfo => ({
    sha: 'a',
    branch: 'main',
    defaultBranch: 'main',
    onDefaultBranch: true,
    pullRequest: false,
    event: 'push',
    pullRequestNumber: null,
    ...over,
  });
  it('auto saves default-branch runs only', () => {
    expect(saveDecision('auto', undefined, git({}), null)).toEqual({ save: true, reason: 'saved: a run of the default branch (main)' });
    expect(saveDecision('auto', undefined, git({ branch: 'feature', onDefaultBranch: false }), null).save).toBe(false);
    expect(saveDecision('auto', undefined, null, null).save).toBe(false);
  });
  it('a pull request never saves, whatever is asked', () => {
    const pr = git({ pullRequest: true, onDefaultBranch: false, event: 'pull_request' });
    expect(saveDecision(true, true, pr, null)).toEqual({ save: false, reason: 'pull-request runs never write history' });
  });
  it('flags override config; an incomplete run is never saved', () => {
    expect(saveDecision('auto', true, git({ branch: 'x', onDefaultBranch: false }), null).save).toBe(true);
    expect(saveDecision(true, false, git({}), null).save).toBe(false);
    expect(saveDecision(true, true, git({}), { kind: 'crashed', message: 'x', logTail: [] }).save).toBe(false);
  });
});
