export interface SlowdownKind {
  key: string;
  name: string;
  file: string;
  /** The scenario the change slows (null: none). */
  scenario: string | null;
  /** The metrics that carry it, the most direct first. */
  carriers: string[];
  change(text: string): string;
}
export const KINDS: SlowdownKind[];
export function kindRepo(example: string, kind: SlowdownKind, dir: string): string;
