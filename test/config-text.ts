// A config from YAML text, as perfgate.yml in a temporary folder would give it (a located
// ConfigError when it is refused).
import { join } from 'node:path';
import type { Config } from '../src/config/types.js';
import { parseConfig } from '../src/config/load.js';
import { tempDir } from './helpers.js';

export function loadConfigText(yaml: string): Config {
  return parseConfig(yaml, join(tempDir('perfgate-config-'), 'perfgate.yml'));
}
