// The git data-branch store against real git: a bare repository in a temp dir is `origin`.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GitStore } from '../../src/history/git-store.js';
import { createRng } from '../../src/stats/rng.js';
import { record } from '../history-fixtures.js';
import { tempDir } from '../helpers.js';

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

/** A bare origin with one commit on main, and a function that makes clones of it (one per runner). */
function origin(): { bare: string; clone: () => string } {
  const root = tempDir('perfgate-git-');
  const bare = join(root, 'origin.git');
  git(root, 'init', '-q', '--bare', '-b', 'main', bare);
  const seed = join(root, 'seed');
  git(root, 'init', '-q', '-b', 'main', seed);
  git(seed, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'init');
  git(seed, 'remote', 'add', 'origin', bare);
  git(seed, 'push', '-q', 'origin', 'main');
  let n = 0;
  return {
    bare,
    clone: () => {
      const dir = join(root, `clone-${n++}`);
      git(root, 'clone', '-q', bare, dir);
      return dir;
    },
  };
}

const rng = createRng(11);

describe('git store', () => {
  it('creates the data branch on first save, reads it back, and leaves the working tree alone', async () => {
    const o = origin();
    const repo = o.clone();
    const headBefore = git(repo, 'rev-parse', 'HEAD');
    const store = new GitStore({ cwd: repo });
    expect((await store.load()).records).toEqual([]); // no branch yet: empty, not an error
    const r = record(rng, {});
    expect(await store.save(r)).toBe(`perfgate-data:runs/${r.id}.json`);
    expect(git(o.bare, 'ls-tree', '-r', '--name-only', 'perfgate-data')).toBe(`runs/${r.id}.json`);
    expect(git(o.bare, 'log', '-1', '--format=%an <%ae>', 'perfgate-data')).toBe(
      'github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>',
    );
    // The user's checkout is untouched: same HEAD, same branch, clean status.
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(headBefore);
    expect(git(repo, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('main');
    expect(git(repo, 'status', '--porcelain')).toBe('');
    const other = new GitStore({ cwd: o.clone() });
    expect((await other.load()).records.map((x) => x.id)).toEqual([r.id]);
  });

  it('10 parallel writers from 10 runners: 10 entries, none lost', async () => {
    const o = origin();
    const stores = Array.from({ length: 10 }, () => new GitStore({ cwd: o.clone() }));
    const records = stores.map(() => record(rng, {}));
    await Promise.all(stores.map((s, i) => s.save(records[i]!)));
    const names = git(o.bare, 'ls-tree', '-r', '--name-only', 'perfgate-data').split('\n').sort();
    expect(names).toEqual(records.map((r) => `runs/${r.id}.json`).sort());
    const commits = Number(git(o.bare, 'rev-list', '--count', 'perfgate-data'));
    expect(commits).toBe(10); // one commit per run, each on top of the previous: nothing rewritten
    expect((await stores[0]!.load()).records).toHaveLength(10);
  }, 60_000);

  it('skips a corrupt file in the branch with a warning and never deletes it', async () => {
    const o = origin();
    const writer = o.clone();
    const store = new GitStore({ cwd: writer });
    await store.save(record(rng, {}));
    // Someone commits a broken file to the data branch by hand.
    const hand = o.clone();
    git(hand, 'checkout', '-q', 'perfgate-data');
    execFileSync('sh', ['-c', 'echo "{broken" > runs/broken.json'], { cwd: hand });
    git(hand, 'add', '.');
    git(hand, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'broken');
    git(hand, 'push', '-q', 'origin', 'perfgate-data');
    const { records, warnings } = await store.load();
    expect(records).toHaveLength(1);
    expect(warnings).toEqual([expect.stringMatching(/skipped perfgate-data:runs\/broken\.json: not JSON .*\(left in place\)/)]);
    await store.save(record(rng, {}));
    await store.prune(1);
    expect(git(o.bare, 'ls-tree', '-r', '--name-only', 'perfgate-data').split('\n')).toContain('runs/broken.json');
  });

  it('prunes in one commit, keeping the newest M runs per config', async () => {
    const o = origin();
    const store = new GitStore({ cwd: o.clone() });
    const runs = Array.from({ length: 5 }, () => record(rng, {}));
    for (const r of runs) await store.save(r);
    expect((await store.prune(2)).sort()).toEqual(
      runs
        .slice(0, 3)
        .map((r) => r.id)
        .sort(),
    );
    expect(git(o.bare, 'ls-tree', '-r', '--name-only', 'perfgate-data').split('\n').sort()).toEqual(
      runs
        .slice(3)
        .map((r) => `runs/${r.id}.json`)
        .sort(),
    );
  });

  it('a remote that cannot be reached is an error with git’s words, not a silent empty history', async () => {
    const repo = origin().clone();
    git(repo, 'remote', 'set-url', 'origin', '/nonexistent/repo.git');
    await expect(new GitStore({ cwd: repo }).load()).rejects.toThrow(/git fetch origin perfgate-data failed: .*nonexistent/);
  });
});
