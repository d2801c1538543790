// perfgate's yardstick: a fixed reference workload run beside the service under test, on the
// same CPUs, while the service is loaded. Every `period` ms it does one operation of fixed work
// (a pointer chase over a buffer larger than most L2 caches, then integer arithmetic) and
// counts the CPU time that operation took. How much CPU one operation costs moves with the
// machine at that moment (clock speed, a busy sibling core, caches shared with other tenants),
// not with the service's code, so a run's CPU per request can be read relative to it.
// It also reports how long it waited for a CPU (Linux: its run-queue delay in /proc/self/schedstat):
// the share of the CPUs other work took from it, the service's load and any neighbour's alike.
// Started by perfgate (src/service/yardstick.ts) with an IPC channel: on "read" it answers with
// its totals so far; it exits when perfgate disconnects. It allocates nothing while it runs.
'use strict';

const { readFileSync } = require('node:fs');

const period = Number(process.argv[2]) || 25;
const CHASE = 1 << 20; // 1 Mi entries × 4 B = 4 MiB
const STEPS = 4000;
const ROUNDS = 40000;

// A single random cycle through the buffer (Sattolo's shuffle, fixed seed): every step of the
// chase depends on the last, so it runs at the memory system's pace, the same on every run.
const next = new Uint32Array(CHASE);
for (let i = 0; i < CHASE; i++) next[i] = i;
let seed = 0x9e3779b9;
const rand = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
};
for (let i = CHASE - 1; i > 0; i--) {
  const j = Math.floor(rand() * i);
  const t = next[i];
  next[i] = next[j];
  next[j] = t;
}

let position = 0;
let sink = 0;
function operation() {
  let p = position;
  for (let k = 0; k < STEPS; k++) p = next[p];
  position = p;
  let h = p | 0;
  for (let k = 0; k < ROUNDS; k++) h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) + k;
  sink ^= h;
}

let ops = 0;
let cpuUs = 0;
let stopped = false;

function tick() {
  if (stopped) return;
  const before = process.cpuUsage();
  operation();
  const used = process.cpuUsage(before);
  cpuUs += used.user + used.system;
  ops++;
  setTimeout(tick, period);
}

// Warm-up: compile the operation before anything is counted.
for (let i = 0; i < 20; i++) operation();

/** Nanoseconds this thread has waited on a run queue, or null where Linux's schedstat is missing. */
function runDelayNs() {
  try {
    return Number(readFileSync('/proc/self/schedstat', 'utf8').split(' ')[1]);
  } catch {
    return null;
  }
}

process.on('message', (m) => {
  if (m !== 'read') return;
  const delay = runDelayNs();
  process.send({ ops, cpuUs, waitUs: delay === null ? null : delay / 1000, sink: sink & 1 });
});
process.on('disconnect', () => {
  stopped = true;
  process.exit(0);
});
process.send('ready');
tick();
