// The store a config asks for.
import { relative } from 'node:path';
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
