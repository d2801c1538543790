// What the run was measured on: needed to read any figure, and (later) to pick comparable history.
import { createRequire } from 'node:module';
import os from 'node:os';
import type { Environment } from '../contract/result.js';
import { PERFGATE_VERSION } from './version.js';

function parserVersion(): string {
  try {
    return (createRequire(import.meta.url)('http-parser-js/package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** perfgate's own load engine: HTTP/1.1 over node:net, responses parsed by http-parser-js. */
export const ENGINE = `perfgate http/1.1 (node:net, http-parser-js ${parserVersion()})`;

export function describeEnvironment(env: NodeJS.ProcessEnv = process.env): Environment {
  const cpus = os.cpus();
  return {
    perfgate: PERFGATE_VERSION,
    node: process.version,
    engine: ENGINE,
    os: `${os.type()} ${os.release()}`,
    platform: process.platform,
    arch: process.arch,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism?.() ?? cpus.length,
    totalMemory: os.totalmem(),
    hostname: os.hostname(),
    ci: Boolean(env.CI && env.CI !== 'false'),
  };
}
