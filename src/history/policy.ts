// Whether a run is saved to history. Pure. The rule that matters: a pull request never writes
// history, whatever it asks for; by default only runs of the default branch are kept.
import type { GitInfo, RunFailure } from '../result.js';

export interface SaveDecision {
  save: boolean;
  reason: string;
}

export function saveDecision(
  setting: 'auto' | boolean,
  override: boolean | undefined,
  git: GitInfo | null,
  failure: RunFailure | null,
): SaveDecision {
  const wanted = override ?? setting;
  if (git?.pullRequest) return { save: false, reason: 'pull-request runs never write history' };
  if (failure) return { save: false, reason: `not saved: the run did not complete (${failure.kind})` };
  if (wanted === false) return { save: false, reason: override === false ? 'not saved (--no-save)' : 'not saved (history.save: false)' };
  if (wanted === true) return { save: true, reason: override === true ? 'saved (--save)' : 'saved (history.save: true)' };
  if (git?.onDefaultBranch) return { save: true, reason: `saved: a run of the default branch (${git.defaultBranch})` };
  const where = git?.branch ? `branch "${git.branch}"` : 'a detached or non-git checkout';
  return {
    save: false,
    reason: `not saved: ${where} is not the default branch${git?.defaultBranch ? ` (${git.defaultBranch})` : ''}; use --save to keep it`,
  };
}
