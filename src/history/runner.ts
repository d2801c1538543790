// The runner class: runs are compared only with runs measured on the same kind of machine.
import type { Environment } from '../contract/result.js';

export function runnerClass(env: Pick<Environment, 'platform' | 'arch' | 'cpuModel' | 'cores' | 'node'>): string {
  const nodeMajor = /^v?(\d+)/.exec(env.node)?.[1] ?? env.node;
  return `${env.platform}-${env.arch} · ${env.cpuModel} · ${env.cores} cores · node ${nodeMajor}`;
}
