export interface SlowdownKind {
  key: string;
  name: string;
  file: string;
  /** The scenario the change slows (null: none). */
  scenario: string | null;
  /** The metrics that carry it, the most direct first. */
  carriers: string[];
  /** Figures shown beside them that do not gate (the dependency's own CPU per request). */
  shown?: string[];
  change(text: string): string;
}
export const KINDS: SlowdownKind[];
export const NODE_KINDS: SlowdownKind[];
export const THREADED_KINDS: SlowdownKind[];
export interface Subject {
  key: 'fastapi' | 'node' | 'threaded';
  name: string;
  /** The service's directory (its perfgate.yml, README.md and code). */
  dir: string;
  kinds: SlowdownKind[];
}
export const SUBJECTS: Subject[];
export function kindRepo(example: string, kind: SlowdownKind, dir: string, extra?: string): string;
