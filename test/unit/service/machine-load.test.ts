import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { idleMachineLoad, othersBetween, parseProcStat } from '../../../src/service/machine-load.js';

const STAT = (user: number, steal: number) =>
  `cpu  ${user} 10 300 90000 50 0 20 ${steal} 0 0\ncpu0 ${user / 2} 5 150 45000 25 0 10 ${steal / 2} 0 0\ncpu1 ${user / 2} 5 150 45000 25 0 10 ${steal / 2} 0 0\nintr 1 2 3\n`;

describe('the machine’s other work', () => {
  it('reads busy time (user, nice, system, irq, softirq, steal; not idle or iowait) and the CPU count from /proc/stat', () => {
    expect(parseProcStat(STAT(1000, 40))).toEqual({ busyNs: (1000 + 10 + 300 + 0 + 20 + 40) * 10_000_000, cpus: 2 });
    expect(parseProcStat('intr 1 2\n')).toBeNull();
    expect(parseProcStat('cpu  1 2 x 4 5 6 7 8\ncpu0 1\n')).toBeNull();
  });

  it('other work = the machine’s busy time less perfgate’s tree, per second of wall time, within 0 … cpus', () => {
    const tree = (ns: number) => ({ ns, source: 'cgroup' as const });
    const at = (s: number) => BigInt(s * 1e9);
    // 2 s: the machine was busy 3 CPU-seconds, perfgate's tree used 1 → 1 CPU of other work.
    expect(
      othersBetween({ busyNs: 0, cpus: 2, tree: tree(0), atNs: at(0) }, { busyNs: 3e9, cpus: 2, tree: tree(1e9), atNs: at(2) }),
    ).toEqual({
      otherCpus: 1,
      cpus: 2,
    });
    // Tick resolution can put the tree above the machine's count: never below 0.
    expect(
      othersBetween({ busyNs: 0, cpus: 2, tree: tree(0), atNs: at(0) }, { busyNs: 1e9, cpus: 2, tree: tree(1.05e9), atNs: at(1) })!
        .otherCpus,
    ).toBe(0);
    expect(othersBetween({ busyNs: 0, cpus: 2, tree: null, atNs: at(0) }, { busyNs: 1e9, cpus: 2, tree: tree(1), atNs: at(1) })).toBeNull();
  });

  it.skipIf(process.platform !== 'linux')(
    'a CPU-bound process that is not perfgate’s is other work; perfgate’s own child is not',
    async () => {
      const SPIN = 'const end = Date.now() + 1200; while (Date.now() < end);';
      const window = async (start: () => void) => {
        const reading = idleMachineLoad(1300);
        start();
        return (await reading)!;
      };
      // perfgate's own child (reaped or not, its CPU time is in perfgate's tree).
      const own = await window(() => void spawn(process.execPath, ['-e', SPIN], { stdio: 'ignore' }));
      // The same spin in an orphan (its shell exits at once): another process on the machine.
      const other = await window(
        () => void spawn('sh', ['-c', `"${process.execPath}" -e '${SPIN}' >/dev/null 2>&1 & exit 0`], { stdio: 'ignore' }),
      );
      for (const r of [own, other]) {
        expect(r.cpus).toBeGreaterThan(0);
        expect(r.otherCpus).toBeGreaterThanOrEqual(0);
        expect(r.otherCpus).toBeLessThanOrEqual(r.cpus);
      }
      // One CPU of spinning moves the other work by most of a CPU (less where the machine is full).
      expect(other.otherCpus - own.otherCpus, JSON.stringify({ own, other })).toBeGreaterThan(0.3);
    },
  );
});
