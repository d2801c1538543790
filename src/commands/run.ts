// `perfgate run` (and the Action's default mode): the whole gate, as the pipeline runs it. With
// --shard the CLI calls ./shard.ts instead. Thin on purpose: the stages live in src/pipeline/.
import { runGate, type GateOptions, type GateOutcome } from '../pipeline/gate.js';

export type RunOptions = GateOptions;

export function runRun(opts: RunOptions): Promise<GateOutcome> {
  return runGate(opts);
}
