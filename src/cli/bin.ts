#!/usr/bin/env node
import { main } from './cli.js';
import { LOAD_WORKER_FLAG, runLoadWorker } from '../load/processes.js';

if (process.argv[2] === LOAD_WORKER_FLAG) {
  // One of the load processes of `load.processes`: it lives until its parent disconnects.
  runLoadWorker();
} else {
  // A reader that goes away (`perfgate run | head`, a runner that is gone) must not crash the run
  // midway, which would leave the service and the base worktree behind: it stops the run as
  // SIGTERM does (load and service stopped, worktree removed, exit 130). Later output is dropped.
  let gone = false;
  for (const stream of [process.stdout, process.stderr])
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      if (gone) return;
      gone = true;
      process.kill(process.pid, 'SIGTERM');
    });
  process.exitCode = await main(process.argv.slice(2));
  // autocannon and the HTTP agents may leave timers behind; the verdict is final, so leave now.
  setTimeout(() => process.exit(), 50).unref();
}
