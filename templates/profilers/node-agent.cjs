// perfgate's profiling agent for Node.js. perfgate loads it into every Node.js process of the
// service it starts for a profiled trial (NODE_OPTIONS=--require …), and only then. It stays
// idle until perfgate writes "start" into the control file, then runs V8's sampling CPU profiler
// through the in-process inspector (node:inspector, no port opened) until "stop", and writes the
// profile (.cpuprofile JSON) next to the control file. It never writes to stdout or stderr.
// `--require` runs in every worker thread too, and each isolate has its own profiler: each one
// writes its own files (node-PID for the main thread, node-PID-tN for worker thread N), and a
// worker that ends while profiled writes its profile as it exits.
'use strict';
(() => {
  const dir = process.env.PERFGATE_PROFILE_DIR;
  if (!dir) return;
  const fs = require('node:fs');
  const path = require('node:path');
  let inspector;
  try {
    inspector = require('node:inspector');
  } catch {
    return;
  }
  let threadId = 0;
  try {
    threadId = require('node:worker_threads').threadId;
  } catch {
    // no worker_threads: the main thread
  }
  const me = path.join(dir, threadId ? `node-${process.pid}-t${threadId}` : `node-${process.pid}`);
  const control = path.join(dir, 'control');
  let session;
  let state = 'idle';
  let seen = '';
  const write = (file, text) => {
    try {
      fs.writeFileSync(`${file}.tmp`, text);
      fs.renameSync(`${file}.tmp`, file);
    } catch {
      // the directory is gone: perfgate stopped waiting
    }
  };
  write(`${me}.ready`, String(process.pid));
  const poll = () => {
    let text;
    try {
      text = fs.readFileSync(control, 'utf8');
    } catch {
      return;
    }
    if (text === seen) return;
    seen = text;
    const [command, arg] = text.trim().split(/\s+/);
    if (command === 'start' && state === 'idle') {
      session = new inspector.Session();
      session.connect();
      session.post('Profiler.enable');
      session.post('Profiler.setSamplingInterval', { interval: Number(arg) || 1000 });
      session.post('Profiler.start');
      state = 'on';
    } else if (command === 'stop' && state === 'on') {
      stop();
    }
  };
  // The in-process session answers synchronously, so this also works in an exit handler.
  const stop = () => {
    state = 'stopping';
    session.post('Profiler.stop', (err, result) => {
      write(`${me}.cpuprofile`, err ? JSON.stringify({ error: String(err.message || err) }) : JSON.stringify(result.profile));
      session.disconnect();
      state = 'idle';
    });
  };
  setInterval(poll, 50).unref();
  process.on('exit', () => {
    if (state === 'on') stop();
    else write(`${me}.gone`, String(process.pid));
  });
})();
