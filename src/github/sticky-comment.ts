// The sticky PR comment: found by its hidden marker across every page of the PR's comments,
// created once, then updated in place. A token that may not comment (fork PRs) is not an error
// of the gate: the caller warns and carries on.
import type { getOctokit } from '@actions/github';

type Octokit = ReturnType<typeof getOctokit>;

export interface CommentTarget {
  owner: string;
  repo: string;
  issueNumber: number;
  marker: string;
}

export type CommentOutcome =
  | { action: 'created' | 'updated' | 'resolved'; id: number; url: string }
  | { action: 'skipped'; reason: string }
  | { action: 'forbidden'; reason: string };

export interface UpsertOptions {
  mode: 'always' | 'on-change' | 'never';
  /** Whether this run has something to say: a failed target, a regression or an improvement. */
  noteworthy: boolean;
  body: string;
  resolvedBody: string;
}

export async function findComment(octokit: Octokit, t: CommentTarget): Promise<{ id: number; body: string } | undefined> {
  const comments = await octokit.paginate(octokit.rest.issues.listComments, {
    owner: t.owner,
    repo: t.repo,
    issue_number: t.issueNumber,
    per_page: 100,
  });
  const ours = comments.find((c) => (c.body ?? '').startsWith(t.marker));
  return ours ? { id: ours.id, body: ours.body ?? '' } : undefined;
}

export async function upsertComment(octokit: Octokit, t: CommentTarget, o: UpsertOptions): Promise<CommentOutcome> {
  if (o.mode === 'never') return { action: 'skipped', reason: 'comment: never' };
  try {
    const existing = await findComment(octokit, t);
    if (o.mode === 'on-change' && !o.noteworthy) {
      if (!existing) return { action: 'skipped', reason: 'nothing changed (comment: on-change)' };
      if (existing.body === o.resolvedBody) return { action: 'skipped', reason: 'already marked resolved' };
      const r = await octokit.rest.issues.updateComment({ owner: t.owner, repo: t.repo, comment_id: existing.id, body: o.resolvedBody });
      return { action: 'resolved', id: r.data.id, url: r.data.html_url };
    }
    if (existing) {
      const r = await octokit.rest.issues.updateComment({ owner: t.owner, repo: t.repo, comment_id: existing.id, body: o.body });
      return { action: 'updated', id: r.data.id, url: r.data.html_url };
    }
    const r = await octokit.rest.issues.createComment({ owner: t.owner, repo: t.repo, issue_number: t.issueNumber, body: o.body });
    return { action: 'created', id: r.data.id, url: r.data.html_url };
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (status === 403 || status === 404) {
      return {
        action: 'forbidden',
        reason: `the token cannot comment on this pull request (HTTP ${status}: ${(err as Error).message}); typical for pull requests from forks`,
      };
    }
    throw err;
  }
}
