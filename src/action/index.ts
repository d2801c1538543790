import { run } from './main.js';
import { LOAD_WORKER_FLAG, runLoadWorker } from '../load/processes.js';

// The same bundle is the Action and, started with the flag, one of its load processes.
if (process.argv[2] === LOAD_WORKER_FLAG) runLoadWorker();
else await run();
