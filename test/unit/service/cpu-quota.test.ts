// The cgroup CPU quota read from /proc: which mounts can carry one, this process's cgroup paths,
// and a quota file's value in CPUs (real /proc text of a cgroup v1 host, a v2 container, a
// hybrid host). The quota itself, set on a real cgroup, is tested in test/integration/cpu-quota.test.ts.
import { describe, expect, it } from 'vitest';
import { cgroupPaths, cpuMounts, quotaCpus } from '../../../src/service/cpu-quota.js';
import { quotaBelow, quotaNote } from '../../../src/pipeline/ab/design.js';

const V1_HOST = `25 24 0:22 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
26 25 0:23 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
27 25 0:24 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
28 25 0:25 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
35 25 0:30 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw`;

const V2_CONTAINER = `612 611 0:29 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup rw,nsdelegate
620 612 0:29 /kubepods/pod1/c0 /sys/fs/cgroup/with\\040space rw - cgroup2 cgroup rw`;

describe('cgroup CPU quota', () => {
  it('finds the mounts that can carry a quota: v1 hierarchies with the cpu controller, and v2', () => {
    expect(cpuMounts(V1_HOST)).toEqual([
      { version: 1, mountPoint: '/sys/fs/cgroup/cpu', root: '/' },
      { version: 2, mountPoint: '/sys/fs/cgroup/unified', root: '/' },
    ]);
    expect(cpuMounts(V2_CONTAINER)).toEqual([
      { version: 2, mountPoint: '/sys/fs/cgroup', root: '/' },
      { version: 2, mountPoint: '/sys/fs/cgroup/with space', root: '/kubepods/pod1/c0' },
    ]);
    // A combined v1 controller list counts too.
    expect(cpuMounts('30 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct')).toHaveLength(1);
  });

  it("reads this process's cgroup in each kind of hierarchy", () => {
    expect(cgroupPaths('9:name=systemd:/\n4:memory:/x\n1:cpu:/ci/job-7\n0::/')).toEqual({ v1: '/ci/job-7', v2: '/' });
    expect(cgroupPaths('3:cpu,cpuacct:/docker/abc\n')).toEqual({ v1: '/docker/abc' });
    expect(cgroupPaths('0::/kubepods/pod1/c0\n')).toEqual({ v2: '/kubepods/pod1/c0' });
  });

  it('reads a quota in CPUs: v2 cpu.max, v1 quota over period; none where there is none', () => {
    const files = (f: Record<string, string>) => (name: string) => f[name] ?? null;
    expect(quotaCpus(2, files({ 'cpu.max': '150000 100000\n' }))).toBe(1.5);
    expect(quotaCpus(2, files({ 'cpu.max': 'max 100000\n' }))).toBeNull();
    expect(quotaCpus(2, files({}))).toBeNull();
    expect(quotaCpus(1, files({ 'cpu.cfs_quota_us': '50000\n', 'cpu.cfs_period_us': '100000\n' }))).toBe(0.5);
    expect(quotaCpus(1, files({ 'cpu.cfs_quota_us': '-1\n', 'cpu.cfs_period_us': '100000\n' }))).toBeNull();
  });

  it('a quota matters only below the CPUs the split divides, and the report says what it leaves of the split', () => {
    expect(quotaBelow({ cpus: 4, file: 'f' }, 2)).toBeUndefined();
    expect(quotaBelow({ cpus: 2, file: 'f' }, 2)).toBeUndefined();
    expect(quotaBelow(null, 2)).toBeUndefined();
    const q = quotaBelow({ cpus: 1.5, file: '/sys/fs/cgroup/cpu/ci/cpu.cfs_quota_us' }, 2)!;
    expect(quotaNote(q, 2)).toMatch(
      /^but a CPU quota of 1\.5 CPUs \(\/sys\/fs\/cgroup\/cpu\/ci\/cpu\.cfs_quota_us\) caps perfgate, both builds and the load generator together below the 2 CPUs listed, so the split did not isolate the services from the load/,
    );
  });
});
