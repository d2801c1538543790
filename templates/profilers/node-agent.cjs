// perfgate's profiling agent for Node.js. perfgate loads it into every Node.js process of the
// service it starts for a profiled trial (NODE_OPTIONS=--require …), and only then. It stays
// idle until perfgate writes "start" into the control file, then runs V8's sampling CPU profiler
// through the in-process inspector (node:inspector, no port opened) until "stop", and writes the
// profile (.cpuprofile JSON) next to the control file. It never writes to stdout or stderr.
// `--require` runs in every worker thread too, and each isolate has its own profiler: each one
// writes its own files (node-PID for the main thread, node-PID-tN for worker thread N), and a
// worker that ends while profiled writes its profile as it exits.
//
// Beside the CPU profile it keeps a wall-clock view, for where requests wait: while profiling, an
// async hook notes each wait as it begins (a promise, an outgoing request, a connect, a DNS
// lookup, a file system or crypto job; a timer through the promise that awaits it) with the stack
// that began it, V8's async frames included (the awaiting callers), and ends it when it resolves
// or its callback runs. Every 10 ms
// each pending wait counts one sample to its stack; a wait whose stack is a prefix of another
// pending one at that moment (an async function awaiting the call that waits) is left to the
// deeper one, so a wait is counted once. The view is written as node-PID(-tN).wall.json.
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
  const waits = wallView(__filename);
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
      if (waits) waits.start();
      state = 'on';
    } else if (command === 'stop' && state === 'on') {
      stop();
    }
  };
  // The in-process session answers synchronously, so this also works in an exit handler.
  const stop = () => {
    state = 'stopping';
    if (waits) write(`${me}.wall.json`, JSON.stringify(waits.stop()));
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

  /** The wall-clock view (null where async_hooks is missing). */
  function wallView(self) {
    let hooks;
    let url;
    try {
      hooks = require('node:async_hooks');
      url = require('node:url');
    } catch {
      return null;
    }
    const WALL_MS = 10;
    // Resources a request waits on; sockets, servers and handles that live as long as a
    // connection or the process are not waits, nor are timers (the server's own: keep-alive, the
    // Date header's cache): a timer a request awaits is awaited through a promise.
    const WAITS =
      /^(PROMISE|FSREQCALLBACK|FSREQPROMISE|GETADDRINFOREQWRAP|GETNAMEINFOREQWRAP|QUERYWRAP|TCPCONNECTWRAP|PIPECONNECTWRAP|HTTPCLIENTREQUEST|ZLIB|\w+REQUEST)$/;
    const frames = new Map(); // "name\0file\0line" -> index
    const frameList = [];
    const fnIds = new Map(); // "name\0file" -> id: a function whatever its line
    const fnOf = []; // frame index -> function id
    const pending = new Map(); // asyncId -> stack (frame indices, root first)
    let walls = new Map(); // stack key -> samples
    let timer = null;
    const fileOf = (name) => {
      if (!name) return '';
      if (name.startsWith('file://')) {
        try {
          return url.fileURLToPath(name);
        } catch {
          return name;
        }
      }
      return name;
    };
    const frameIndex = (name, file, line) => {
      const key = `${name}\0${file}\0${line}`;
      let i = frames.get(key);
      if (i === undefined) {
        i = frameList.length;
        frames.set(key, i);
        frameList.push([name, file, line]);
        const fk = `${name}\0${file}`;
        if (!fnIds.has(fk)) fnIds.set(fk, fnIds.size);
        fnOf.push(fnIds.get(fk));
      }
      return i;
    };
    // V8 walks the stack when it is captured (the costly part) and builds its frames only when
    // it is read: a wait is read at the first sample it is still pending at, most never are.
    const capture = () => {
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 24;
      const holder = {};
      Error.captureStackTrace(holder, capture);
      Error.stackTraceLimit = limit;
      return holder;
    };
    const sitesOf = (holder) => {
      const prepare = Error.prepareStackTrace;
      Error.prepareStackTrace = (_, sites) => sites;
      let sites;
      try {
        sites = holder.stack;
      } finally {
        Error.prepareStackTrace = prepare;
      }
      return Array.isArray(sites) ? sites : [];
    };
    // The stack that began a wait, root first: the hook's own frames and the runtime's internals
    // at the leaf (the hook's emitter) and frames without a file (a Promise constructor) left out.
    const stackOf = (holder) => {
      const out = [];
      let leaf = true;
      for (const site of sitesOf(holder)) {
        const file = fileOf(site.getFileName());
        if (!file || file === self) continue;
        if (leaf && file.startsWith('node:internal/')) continue;
        leaf = false;
        const name = site.getFunctionName() || site.getMethodName() || '(anonymous)';
        out.push(frameIndex(name, file, site.getLineNumber() || 0));
      }
      return out.reverse();
    };
    const hook = hooks.createHook({
      init(id, type) {
        if (WAITS.test(type)) pending.set(id, capture());
      },
      before(id) {
        pending.delete(id);
      },
      promiseResolve(id) {
        pending.delete(id);
      },
      destroy(id) {
        pending.delete(id);
      },
    });
    // Prefixes compare functions, not lines: an async function's own promise begins at its first
    // line, the call it awaits at a later one.
    const fnKey = (st, k) =>
      st
        .slice(0, k)
        .map((i) => fnOf[i])
        .join(',');
    const sample = () => {
      const stacks = [];
      for (const [id, held] of pending) {
        const stack = Array.isArray(held) ? held : stackOf(held);
        if (stack !== held) pending.set(id, stack);
        if (stack.length) stacks.push(stack);
      }
      const prefixes = new Set();
      for (const st of stacks) for (let k = 1; k < st.length; k++) prefixes.add(fnKey(st, k));
      for (const st of stacks) {
        if (prefixes.has(fnKey(st, st.length))) continue;
        const key = st.join(',');
        walls.set(key, (walls.get(key) || 0) + 1);
      }
    };
    return {
      start() {
        pending.clear();
        walls = new Map();
        timer = setInterval(sample, WALL_MS);
        timer.unref();
        hook.enable();
      },
      stop() {
        hook.disable();
        clearInterval(timer);
        pending.clear();
        const samples = [...walls].map(([key, count]) => ({ stack: key.split(',').map(Number), count }));
        return { intervalUs: WALL_MS * 1000, frames: frameList, samples };
      },
    };
  }
})();
