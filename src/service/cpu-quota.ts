// The CPU quota a cgroup puts on this process (container runners, Kubernetes, systemd slices):
// CPU time per period, in CPUs, the tightest over the process's cgroup and its ancestors. Pinning
// splits the CPUs in the affinity list, but a quota caps all of them together: with 2 CPUs listed
// and a quota of 1, the services' CPU and the load generator's take turns within that one CPU's
// time, and the split isolates nothing. cgroup v2 `cpu.max` ("max 100000", "150000 100000") or
// v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us` (-1: none).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CpuQuota {
  /** The CPU time the cgroup may use per period, in CPUs (1.5 = one and a half CPUs' time). */
  cpus: number;
  /** The file that sets it. */
  file: string;
}

interface CgroupMount {
  version: 1 | 2;
  /** Where the hierarchy is mounted, and which of its cgroups is the mount's root. */
  mountPoint: string;
  root: string;
}

/** The cgroup mounts that can carry a CPU quota: v1 hierarchies with the `cpu` controller, and v2. */
export function cpuMounts(mountinfo: string): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const f = left.split(' ');
    const [fstype, , superOptions = ''] = right.split(' ');
    const mountPoint = unescapeMount(f[4] ?? '');
    const root = unescapeMount(f[3] ?? '/');
    if (fstype === 'cgroup2') out.push({ version: 2, mountPoint, root });
    else if (fstype === 'cgroup' && superOptions.split(',').includes('cpu')) out.push({ version: 1, mountPoint, root });
  }
  return out;
}

/** This process's cgroup path in each hierarchy kind, from /proc/PID/cgroup ("4:cpu,cpuacct:/a/b", "0::/a"). */
export function cgroupPaths(procCgroup: string): { v1?: string; v2?: string } {
  const out: { v1?: string; v2?: string } = {};
  for (const line of procCgroup.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    if (m[1] === '0' && m[2] === '') out.v2 = m[3]!;
    else if (m[2]!.split(',').includes('cpu')) out.v1 = m[3]!;
  }
  return out;
}

/** A quota file's value in CPUs, or null for none: v2 "150000 100000" / "max 100000"; v1 quota and period. */
export function quotaCpus(version: 1 | 2, read: (name: string) => string | null): number | null {
  if (version === 2) {
    const [quota, period] = (read('cpu.max') ?? '').trim().split(/\s+/);
    if (!quota || quota === 'max' || !period) return null;
    return Number(quota) / Number(period);
  }
  const quota = Number((read('cpu.cfs_quota_us') ?? '').trim());
  const period = Number((read('cpu.cfs_period_us') ?? '').trim());
  if (!Number.isFinite(quota) || quota <= 0 || !(period > 0)) return null;
  return quota / period;
}

/**
 * The tightest CPU quota over this process's cgroup and its ancestors up to the mount's root, or
 * null where none applies or it cannot be read (not Linux, no cgroup mounted).
 */
export function cpuQuota(pid: number | 'self' = 'self'): CpuQuota | null {
  if (process.platform !== 'linux') return null;
  const text = (file: string): string | null => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return null;
    }
  };
  const mountinfo = text(`/proc/${pid}/mountinfo`);
  const procCgroup = text(`/proc/${pid}/cgroup`);
  if (!mountinfo || !procCgroup) return null;
  const paths = cgroupPaths(procCgroup);
  let best: CpuQuota | null = null;
  for (const mount of cpuMounts(mountinfo)) {
    const path = mount.version === 2 ? paths.v2 : paths.v1;
    if (path === undefined) continue;
    // The path is the cgroup's within the whole hierarchy; the mount shows it from `root` down.
    const inMount = mount.root !== '/' && (path === mount.root || path.startsWith(`${mount.root}/`)) ? path.slice(mount.root.length) : path;
    const parts = inMount.split('/').filter(Boolean);
    for (let depth = parts.length; depth >= 0; depth--) {
      const dir = join(mount.mountPoint, ...parts.slice(0, depth));
      const cpus = quotaCpus(mount.version, (name) => text(join(dir, name)));
      if (cpus !== null && (!best || cpus < best.cpus))
        best = { cpus, file: join(dir, mount.version === 2 ? 'cpu.max' : 'cpu.cfs_quota_us') };
    }
  }
  return best;
}

/** mountinfo escapes spaces, tabs, newlines and backslashes as octal (\040). */
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}
