import { describe, expect, it } from 'vitest';
import { saveDecision } from '../../../src/history/policy.js';
import type { GitInfo } from '../../../src/contract/result.js';

describe('save policy by GitHub event', () => {
  const git = (event: string, over: Partial<GitInfo> = {}): GitInfo => ({
    sha: 'a',
    branch: 'main',
    defaultBranch: 'main',
    onDefaultBranch: true,
    pullRequest: false,
    event,
    pullRequestNumber: null,
    ...over,
  });
  it('push and schedule on the default branch save; dispatch only when asked; unknown events never', () => {
    expect(saveDecision('auto', undefined, git('push'), null).save).toBe(true);
    expect(saveDecision('auto', undefined, git('schedule'), null).save).toBe(true);
    expect(saveDecision('auto', undefined, git('push', { branch: 'dev', onDefaultBranch: false }), null).save).toBe(false);
    expect(saveDecision('auto', undefined, git('workflow_dispatch'), null)).toEqual({
      save: false,
      reason: 'not saved: manual runs are saved only when asked (save-history: true)',
    });
    expect(saveDecision('auto', true, git('workflow_dispatch'), null).save).toBe(true);
    expect(saveDecision(true, true, git('issue_comment'), null)).toEqual({
      save: false,
      reason: 'not saved: "issue_comment" runs never write history',
    });
  });
});
