// Whether a run is saved to history. Pure. The rule that matters: a pull request never writes
// history, whatever it asks for. In GitHub Actions the event decides what "auto" means: push and
// schedule runs of the default branch are saved, manual dispatches only when asked, and events
// perfgate does not know are never saved. Outside Actions, auto saves default-branch runs.
import type { GitInfo, RunFailure } from '../contract/result.js';

export interface SaveDecision {
  save: boolean;
  reason: string;
}

const SAVING_EVENTS = new Set(['push', 'schedule']);
const KNOWN_EVENTS = new Set(['push', 'schedule', 'workflow_dispatch', 'pull_request', 'pull_request_target', 'merge_group']);

export function saveDecision(
  setting: 'auto' | boolean,
  override: boolean | undefined,
  git: GitInfo | null,
  failure: RunFailure | null,
): SaveDecision {
  const wanted = override ?? setting;
  const event = git?.event ?? null;
  if (git?.pullRequest) return { save: false, reason: 'pull-request runs never write history' };
  if (event !== null && !KNOWN_EVENTS.has(event)) return { save: false, reason: `not saved: "${event}" runs never write history` };
  if (event === 'merge_group') return { save: false, reason: 'not saved: merge-queue runs never write history' };
  if (failure) return { save: false, reason: `not saved: the run did not complete (${failure.kind})` };
  if (wanted === false) return { save: false, reason: override === false ? 'not saved (--no-save)' : 'not saved (history.save: false)' };
  if (wanted === true) return { save: true, reason: override === true ? 'saved (--save)' : 'saved (history.save: true)' };
  if (event === 'workflow_dispatch')
    return { save: false, reason: 'not saved: manual runs are saved only when asked (save-history: true)' };
  if (event !== null && !SAVING_EVENTS.has(event)) return { save: false, reason: `not saved: "${event}" runs are not saved automatically` };
  if (git?.onDefaultBranch) return { save: true, reason: `saved: a run of the default branch (${git.defaultBranch})` };
  const where = git?.branch ? `branch "${git.branch}"` : 'a detached or non-git checkout';
  return {
    save: false,
    reason: `not saved: ${where} is not the default branch${git?.defaultBranch ? ` (${git.defaultBranch})` : ''}; use --save to keep it`,
  };
}
