// The store a config asks for, or one named on the command line.
import { relative, resolve } from 'node:path';
import type { HistoryConfig } from '../config/types.js';
import { DirStore } from './dir-store.js';
import { GitStore } from './git-store.js';
import type { HistoryStore } from './store.js';

export function openStore(history: HistoryConfig, repoDir: string): HistoryStore | null {
  switch (history.store) {
    case 'none':
      return null;
    case 'git':
      return new GitStore({ cwd: repoDir, remote: history.remote, branch: history.branch });
    default: {
      const rel = relative(process.cwd(), history.path);
      return new DirStore(history.path, rel && !rel.startsWith('..') ? rel : history.path);
    }
  }
}

/** `git`, `git:<branch>`, `dir:<path>` or a plain directory path. */
export function storeFromSpec(spec: string, cwd: string): HistoryStore {
  if (spec === 'git') return new GitStore({ cwd });
  const git = /^git:(.+)$/.exec(spec);
  if (git) return new GitStore({ cwd, branch: git[1]! });
  const dir = /^dir:(.+)$/.exec(spec);
  return new DirStore(resolve(cwd, dir ? dir[1]! : spec));
}
