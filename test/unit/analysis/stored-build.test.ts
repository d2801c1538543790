// regression.against: stored-build: which stored run's commit a run without a base build of its
// own is measured against (src/analysis/baseline.ts lastStoredBuild). Pure.
import { describe, expect, it } from 'vitest';
import { lastStoredBuild } from '../../../src/analysis/baseline.js';
import type { HistoryRecord } from '../../../src/contract/record.js';
import { createRng } from '../../../src/stats/rng.js';
import { FP, RUNNER, history, record } from '../../history-fixtures.js';

const current = (sha: string | null) => ({ fingerprint: FP, runner: RUNNER, sha });
const shaOf = (r: ReturnType<typeof lastStoredBuild>): string | undefined => (r.ok ? r.record.git.sha : undefined);

describe('the stored run whose build a run is measured against', () => {
  it('the newest default-branch run of this config and runner class, by when it started', () => {
    const runs = history(1, 5);
    // Stored out of order: the newest by startedAt wins, not the last in the list.
    const shuffled = [runs[4]!, runs[0]!, runs[2]!, runs[1]!, runs[3]!];
    expect(shaOf(lastStoredBuild(shuffled, current('ffffffff')))).toBe(runs[4]!.git!.sha);
  });

  it("a re-run of the stored commit is measured against the commit before it; another config's, runner's or branch's runs never", () => {
    const rng = createRng(2);
    const runs: HistoryRecord[] = [
      record(rng, {}, {}, 10),
      record(rng, {}, {}, 11),
      record(rng, {}, { fingerprint: 'other' }, 12),
      record(rng, {}, { runner: 'darwin-arm64 · M1 · 8 cores · node 20' }, 13),
      record(rng, {}, {}, 14),
    ];
    const feature = record(rng, {}, {}, 15);
    feature.git = { ...feature.git!, branch: 'feature', onDefaultBranch: false };
    runs.push(feature);
    // HEAD is the newest stored commit (run 14): its build is the one before it (run 11).
    expect(shaOf(lastStoredBuild(runs, current(runs[4]!.git!.sha)))).toBe(runs[1]!.git!.sha);
    expect(shaOf(lastStoredBuild(runs, current('0123456789')))).toBe(runs[4]!.git!.sha);
  });

  it('none: says why (nothing stored, none from the default branch, none with another commit)', () => {
    expect(lastStoredBuild([], current('abc'))).toEqual({
      ok: false,
      reason: 'no stored run of this config and runner class (0 stored in all)',
    });
    const rng = createRng(3);
    const onBranch = record(rng, {}, {}, 20);
    onBranch.git = { ...onBranch.git!, branch: 'feature', onDefaultBranch: false };
    expect(lastStoredBuild([onBranch], current('abc'))).toEqual({
      ok: false,
      reason: 'none of the 1 stored runs of this config and runner class comes from the default branch',
    });
    const same = record(rng, {}, {}, 21);
    const noCommit = record(rng, {}, {}, 22);
    noCommit.git = { ...noCommit.git!, sha: null };
    expect(lastStoredBuild([same, noCommit], current(same.git!.sha))).toEqual({
      ok: false,
      reason: "none of the 2 stored runs of this config from the default branch has a commit other than this one's",
    });
  });
});
