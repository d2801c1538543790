#!/usr/bin/env node
import { main } from './cli.js';
import { LOAD_WORKER_FLAG, runLoadWorker } from '../load/processes.js';

if (process.argv[2] === LOAD_WORKER_FLAG) {
  // One of the load processes of `load.processes`: it lives until its parent disconnects.
  runLoadWorker();
} else {
  process.exitCode = await main(process.argv.slice(2));
  // autocannon and the HTTP agents may leave timers behind; the verdict is final, so leave now.
  setTimeout(() => process.exit(), 50).unref();
}
