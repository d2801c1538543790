// A config from YAML text, as perfgate.yml in a temporary folder would give it (a located
// ConfigError when it is refused).
import { join } from 'node:path';
import type { Config } from '../src/config/types.js';
import { parseConfig } from '../src/config/load.js';
import { tempDir } from './helpers.js';
import { ConfigError } from '../src/util/errors.js';

/** The located problems ("LINE: PATH: message") perfgate.yml text is refused with; none when it is accepted. */
export function configProblems(yaml: string): string[] {
  try {
    parseConfig(yaml, '/x/perfgate.yml');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.line}: ${p.path}: ${p.message}`);
    throw err;
  }
  return [];
}

export function loadConfigText(yaml: string): Config {
  return parseConfig(yaml, join(tempDir('perfgate-config-'), 'perfgate.yml'));
}
