// perfgate.yml → a validated, typed Config. Every problem names the file, the YAML path and the
// line; all problems found are reported together (exit 2), not only the first.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { LineCounter, parseDocument } from 'yaml';
import { assetPath } from '../util/assets.js';
import { ConfigError, type ConfigProblem } from '../util/errors.js';
import { formatPath, locate, type PathSegment } from './yaml-locate.js';
import { type Config } from './types.js';
import { parseDuration, parsePercent, parseSize } from './units.js';
import { type RawConfig } from './raw.js';
import { firstLine, schemaProblems } from './schema-errors.js';
import { build } from './build.js';

export const DEFAULT_CONFIG_FILE = 'perfgate.yml';

/** Reads and validates a config file. Throws ConfigError (exit 2) for anything wrong with it. */
export function loadConfig(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory' : String(err);
    throw new ConfigError(file, [{ path: '', message: `cannot read config: ${why}` }]);
  }
  return parseConfig(text, resolve(file));
}

let validator: ValidateFunction | undefined;
function schemaValidator(): ValidateFunction {
  if (validator) return validator;
  const schema = JSON.parse(readFileSync(assetPath('schemas', 'perfgate.schema.json'), 'utf8')) as object;
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true });
  ajv.addFormat('duration', (s: string) => parseDuration(s) !== undefined);
  ajv.addFormat('percent', (s: string) => parsePercent(s) !== undefined);
  ajv.addFormat('size', (s: string) => parseSize(s) !== undefined);
  validator = ajv.compile(schema);
  return validator;
}

/** Validates config text. `file` is used for messages and to resolve relative paths. */
export function parseConfig(text: string, file: string): Config {
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lines,
    prettyErrors: true,
    uniqueKeys: true,
  });
  const problems: ConfigProblem[] = [];
  for (const err of doc.errors) {
    const pos = err.linePos?.[0];
    problems.push({
      path: '',
      line: pos?.line,
      column: pos?.col,
      message: `YAML syntax: ${firstLine(err.message)}`,
    });
  }
  if (problems.length) throw new ConfigError(file, problems);

  const data: unknown = doc.toJS();
  if (data === null || data === undefined) {
    throw new ConfigError(file, [
      {
        path: '',
        line: 1,
        message: 'the file is empty; it needs at least `service` and `scenarios`',
      },
    ]);
  }
  const validate = schemaValidator();
  if (!validate(data)) {
    throw new ConfigError(file, schemaProblems(validate.errors ?? [], data, doc, lines));
  }
  const at = (path: PathSegment[], message: string, onKey = true): void => {
    problems.push({
      path: formatPath(path),
      ...locate(doc, lines, path, onKey),
      message,
    });
  };
  const config = build(data as RawConfig, file, at);
  if (problems.length) throw new ConfigError(file, problems);
  return config;
}
