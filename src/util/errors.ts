/** A problem with what the user gave us (config, flags). Exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** One located problem in a config file. */
export interface ConfigProblem {
  /** YAML path in dotted/bracket form, e.g. `scenarios[1].connections`; '' for the document. */
  path: string;
  /** 1-based line and column, when known. */
  line?: number;
  column?: number;
  message: string;
}

/** Config file problems, each naming the file, the YAML path and the line. Exit code 2. */
export class ConfigError extends UsageError {
  override name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly problems: ConfigProblem[],
  ) {
    super(problems.map((p) => formatProblem(file, p)).join('\n'));
  }
}

export function formatProblem(file: string, p: ConfigProblem): string {
  const where = p.line ? `${file}:${p.line}${p.column ? `:${p.column}` : ''}` : file;
  return `${where}: ${p.path ? `${p.path}: ` : ''}${p.message}`;
}
