// The CI store: a data branch (default `perfgate-data`) on the repository's remote, one file per
// run under runs/. It works in the user's own repository through git plumbing (a private ref, a
// temporary index, commit-tree, push), so the checkout's auth applies and the working tree, the
// index and HEAD are never touched. A rejected push (someone else saved first) is retried on top
// of the new tip after a random pause; file names are unique, so there is never a conflict.
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng } from '../stats/rng.js';
import type { HistoryRecord } from '../contract/record.js';
import { parseRecord } from './read-record.js';
import { pruneSelection, type HistoryStore, type LoadResult } from './store.js';

export interface GitStoreOptions {
  /** A directory inside the repository whose remote holds the data branch. */
  cwd: string;
  remote?: string;
  branch?: string;
  /** Committer identity; runners have none configured. */
  author?: { name: string; email: string };
  /** Push attempts before giving up. */
  attempts?: number;
}

const BOT = { name: 'github-actions[bot]', email: '41898282+github-actions[bot]@users.noreply.github.com' };
const DIR = 'runs';

interface GitRun {
  code: number;
  stdout: string;
  stderr: string;
}

export class GitStore implements HistoryStore {
  readonly label: string;
  private readonly remote: string;
  private readonly branch: string;
  private readonly ref: string;
  private readonly author: { name: string; email: string };
  private readonly attempts: number;
  private readonly rng = createRng((process.pid * 2654435761) ^ Date.now());

  constructor(private readonly opts: GitStoreOptions) {
    this.remote = opts.remote ?? 'origin';
    this.branch = opts.branch ?? 'perfgate-data';
    this.ref = `refs/perfgate/${this.branch}`;
    this.author = opts.author ?? BOT;
    this.attempts = opts.attempts ?? 12;
    this.label = `git ${this.remote} ${this.branch}`;
  }

  async load(): Promise<LoadResult> {
    const tip = await this.fetch();
    if (!tip) return { records: [], warnings: [] };
    const list = await this.git(['ls-tree', '-r', '-z', '--name-only', tip, '--', `${DIR}/`]);
    const names = list.stdout.split('\0').filter((n) => n.endsWith('.json'));
    if (!names.length) return { records: [], warnings: [] };
    const batch = await this.git(['cat-file', '--batch'], names.map((n) => `${tip}:${n}`).join('\n') + '\n');
    const records: HistoryRecord[] = [];
    const warnings: string[] = [];
    const buf = Buffer.from(batch.stdout, 'latin1');
    let pos = 0;
    for (const name of names) {
      const nl = buf.indexOf(0x0a, pos);
      const header = buf.subarray(pos, nl).toString('utf8');
      const size = Number(header.split(' ')[2]);
      const text = buf.subarray(nl + 1, nl + 1 + size).toString('utf8');
      pos = nl + 1 + size + 1;
      const parsed = parseRecord(text);
      if (parsed.ok) records.push(parsed.record);
      else warnings.push(`skipped ${this.branch}:${name}: ${parsed.reason} (left in place)`);
    }
    return { records, warnings };
  }

  async save(record: HistoryRecord): Promise<string> {
    const path = `${DIR}/${record.id}.json`;
    const blob = (await this.gitOk(['hash-object', '-w', '--stdin'], `${JSON.stringify(record)}\n`)).trim();
    await this.commitAndPush(`perfgate: save run ${record.id}`, [['--add', '--cacheinfo', `100644,${blob},${path}`]]);
    return `${this.branch}:${path}`;
  }

  /** Writes files onto the data branch in one commit; the location of the first. */
  async publish(files: { path: string; content: string }[], message: string): Promise<string> {
    const edits: string[][] = [];
    for (const f of files) {
      const blob = (await this.gitOk(['hash-object', '-w', '--stdin'], f.content)).trim();
      edits.push(['--add', '--cacheinfo', `100644,${blob},${f.path}`]);
    }
    await this.commitAndPush(message, edits);
    return `${this.branch}:${files[0]!.path}`;
  }

  async prune(keep: number): Promise<string[]> {
    const { records } = await this.load();
    const doomed = pruneSelection(records, keep);
    if (!doomed.length) return [];
    await this.commitAndPush(
      `perfgate: prune ${doomed.length} run(s), keeping ${keep} per config`,
      doomed.map((r) => ['--force-remove', `${DIR}/${r.id}.json`]),
    );
    return doomed.map((r) => r.id);
  }

  /** Builds a commit on the current remote tip with the given index edits and pushes it. */
  private async commitAndPush(message: string, edits: string[][]): Promise<void> {
    let lastError = '';
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      const parent = await this.fetch();
      const index = join(tmpdir(), `perfgate-index-${process.pid}-${attempt}-${this.rng.nextUint32()}`);
      const env = { GIT_INDEX_FILE: index };
      try {
        await this.gitOk(parent ? ['read-tree', parent] : ['read-tree', '--empty'], undefined, env);
        for (const edit of edits) await this.gitOk(['update-index', ...edit], undefined, env);
        const tree = (await this.gitOk(['write-tree'], undefined, env)).trim();
        const commit = (
          await this.gitOk(['commit-tree', tree, ...(parent ? ['-p', parent] : []), '-m', message], undefined, {
            GIT_AUTHOR_NAME: this.author.name,
            GIT_AUTHOR_EMAIL: this.author.email,
            GIT_COMMITTER_NAME: this.author.name,
            GIT_COMMITTER_EMAIL: this.author.email,
          })
        ).trim();
        const push = await this.git(['push', '--quiet', this.remote, `${commit}:refs/heads/${this.branch}`]);
        if (push.code === 0) {
          await this.git(['update-ref', this.ref, commit]);
          return;
        }
        lastError = push.stderr.trim();
        if (!/rejected|non-fast-forward|fetch first|failed to update ref|cannot lock ref|incorrect old value/i.test(lastError)) {
          throw new Error(`git push to ${this.remote} ${this.branch} failed: ${lastError}`);
        }
      } finally {
        await rm(index, { force: true });
      }
      // Someone else saved first: wait a random moment, then rebuild on the new tip.
      await new Promise((r) => setTimeout(r, 20 + this.rng.int(60 * attempt)));
    }
    throw new Error(`git push to ${this.remote} ${this.branch} was rejected ${this.attempts} times: ${lastError}`);
  }

  /** Fetches the data branch into our private ref; the tip's sha, or null when it does not exist yet. */
  private async fetch(): Promise<string | null> {
    const r = await this.git(['fetch', '--quiet', '--no-tags', this.remote, `+refs/heads/${this.branch}:${this.ref}`]);
    if (r.code !== 0) {
      if (/couldn't find remote ref|no such ref/i.test(r.stderr)) {
        await this.git(['update-ref', '-d', this.ref]);
        return null;
      }
      throw new Error(`git fetch ${this.remote} ${this.branch} failed: ${r.stderr.trim()}`);
    }
    return (await this.gitOk(['rev-parse', this.ref])).trim();
  }

  private async gitOk(args: string[], input?: string, env?: Record<string, string>): Promise<string> {
    const r = await this.git(args, input, env);
    if (r.code !== 0) throw new Error(`git ${args[0]} failed: ${r.stderr.trim()}`);
    return r.stdout;
  }

  private git(args: string[], input?: string, env?: Record<string, string>): Promise<GitRun> {
    return new Promise((resolve) => {
      const child = execFile(
        'git',
        args,
        { cwd: this.opts.cwd, env: { ...process.env, ...env }, encoding: 'latin1', maxBuffer: 512 * 1024 * 1024 },
        (err, stdout, stderr) => {
          const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code as number) : 1) : 0;
          resolve({ code, stdout: String(stdout), stderr: Buffer.from(String(stderr), 'latin1').toString('utf8') });
        },
      );
      if (input !== undefined) child.stdin?.end(input);
      else child.stdin?.end();
    });
  }
}
