import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { Yardstick, yardstickFigures } from '../../../src/service/yardstick.js';

describe('the yardstick', () => {
  it('a trial’s figures are the growth of its totals; a trial with no operation has none', () => {
    expect(yardstickFigures({ ops: 10, cpuUs: 8000 }, { ops: 50, cpuUs: 42000 })).toEqual({ ops: 40, cpuUs: 34000, perOpUs: 850 });
    expect(yardstickFigures({ ops: 10, cpuUs: 8000, waitUs: 100 }, { ops: 50, cpuUs: 42000, waitUs: 4100 })).toMatchObject({
      waitPerOpUs: 100,
    });
    expect(yardstickFigures({ ops: 10, cpuUs: 8000 }, { ops: 10, cpuUs: 8000 })).toBeNull();
  });

  it('runs as a process of its own on the CPUs of the process it stands beside, counts its operations, and is gone after stop', async () => {
    const y = await Yardstick.start(process.pid, { periodMs: 10 });
    expect(y).not.toBeNull();
    const pid = (y as unknown as { child: { pid: number } }).child.pid;
    if (process.platform === 'linux') expect(y!.cpus?.length).toBeGreaterThan(0);
    await y!.boundary('before', true);
    await new Promise((r) => setTimeout(r, 400));
    await y!.boundary('after', true);
    await y!.boundary('before', true);
    await y!.boundary('after', false); // a trial that was not kept adds no reading
    expect(y!.readings).toHaveLength(1);
    const r = y!.readings[0]!;
    expect(r.ops).toBeGreaterThan(5);
    expect(r.perOpUs).toBeGreaterThan(50);
    expect(r.perOpUs).toBeLessThan(50_000);
    if (process.platform === 'linux') expect(r.waitPerOpUs).toBeGreaterThanOrEqual(0);
    await y!.stop();
    expect(() => process.kill(pid, 0)).toThrow();
    if (process.platform === 'linux')
      expect(execFileSync('ps', ['-o', 'pid=', '--ppid', String(process.pid)], { encoding: 'utf8' })).not.toContain(String(pid));
  });
});
