// Which A/B design a run can have, and the duet's CPU pinning: both services' trees on the same
// CPU(s), the load generator (perfgate, with its load processes) on the others.
import { allowedCpus, pinProcess, pinTree, splitCpus } from '../../service/pin.js';
import { cpuQuota, type CpuQuota } from '../../service/cpu-quota.js';
import { formatNumber } from '../../analysis/format.js';
import type { ServiceConfig } from '../../config/types.js';
import type { Launched } from '../../service/launch.js';

/** Whether both builds can run at once: each started by perfgate on a port of its own. */
export function sideBySide(base: ServiceConfig, head: ServiceConfig): boolean {
  if (!base.command || !head.command) return false;
  if (base.port === 'auto' && head.port === 'auto') return true;
  return typeof base.port === 'number' && typeof head.port === 'number' && base.port !== head.port;
}

export interface DuetCpus {
  services: number[];
  load: number[];
  all: number[];
}

export interface Design {
  design: 'duet' | 'interleaved';
  /** Why, in words for the report. */
  note: string;
  /** Duet: the CPUs for the services and for the load generator. */
  cpus?: DuetCpus;
}

/** Duet when both builds can run side by side and the CPUs can be split (unless the config says interleaved); else interleaved, with why. */
export async function chooseDesign(wanted: 'duet' | 'interleaved' | undefined, sideBySide: boolean): Promise<Design> {
  if (wanted === 'interleaved')
    return { design: 'interleaved', note: 'interleaved (ab.design: interleaved): one build loaded after the other' };
  if (!sideBySide)
    return {
      design: 'interleaved',
      note: 'interleaved: the two builds cannot run side by side (a fixed port, or a service perfgate does not start), so a duet is not possible',
    };
  const all = await allowedCpus();
  const split = all ? splitCpus(all) : null;
  if (!all || !split)
    return {
      design: 'interleaved',
      note: all
        ? `interleaved: this machine gives perfgate ${all.length} CPU, and a duet needs one for the services and one for the load`
        : 'interleaved: the CPU affinity cannot be read here (taskset, Linux), so a duet cannot be pinned',
    };
  return {
    design: 'duet',
    note: `duet: both builds loaded at the same time, each from its own connections`,
    cpus: { ...split, all },
  };
}

export interface Pinning {
  failed: boolean;
  note: string;
  /** A cgroup CPU quota below the CPUs the split divides: it caps services and load together, so the split isolated nothing. */
  quota?: CpuQuota;
  restore(): Promise<void>;
}

/**
 * Pins both services' trees (with their own per-build dependencies: the build's system) to the
 * service CPUs and perfgate (with its load processes) to the others.
 */
export async function pinDuet(cpus: DuetCpus, services: Launched[]): Promise<Pinning> {
  const self = await pinProcess(process.pid, cpus.load);
  const roots = services.flatMap((l) => [l.service?.pid, ...(l.dependencies ?? []).map((d) => d.launched.service?.pid)]);
  const trees = self
    ? null
    : await Promise.all(roots.map((pid) => (pid !== undefined ? pinTree(pid, cpus.services) : Promise.resolve(null))));
  const why = self ?? trees?.find((w) => w !== null) ?? null;
  const restore = async (): Promise<void> => {
    await pinProcess(process.pid, cpus.all);
  };
  if (why) {
    await restore();
    return {
      failed: true,
      note: `a duet needs CPU pinning, and it was refused (${why}), so the builds were loaded one after the other`,
      restore,
    };
  }
  // A container runtime's client is pinned, not the container: say so rather than "pinned".
  const contained = services.some((l) => l.service?.cpuNotMeasured);
  const note = contained
    ? `the load generator pinned to CPU ${cpus.load.join(',')} (taskset); the services run in containers, which pinning does not reach, so the two builds were not isolated from the load`
    : `services${services.some((l) => l.dependencies?.length) ? ' (with their own dependencies)' : ''} pinned to CPU ${cpus.services.join(',')}, the load generator to CPU ${cpus.load.join(',')} (taskset)`;
  const quota = quotaBelow(cpuQuota(), cpus.all.length);
  return { failed: false, note: quota ? `${note}; ${quotaNote(quota, cpus.all.length)}` : note, restore, ...(quota ? { quota } : {}) };
}

/** A quota that caps below the CPUs listed (the split's whole), or undefined. */
export function quotaBelow(quota: CpuQuota | null, listed: number): CpuQuota | undefined {
  return quota && quota.cpus < listed ? quota : undefined;
}

/** What a quota below the listed CPUs leaves of the split, in words for the report. */
export function quotaNote(quota: CpuQuota, listed: number): string {
  const n = formatNumber(quota.cpus, 2);
  return (
    `but a CPU quota of ${n} CPU${quota.cpus === 1 ? '' : 's'} (${quota.file}) caps perfgate, both builds and the load generator together below the ${listed} CPUs listed, ` +
    'so the split did not isolate the services from the load: they take turns within that quota (both builds alike, so pairs still compare them; their absolute figures are the quota’s)'
  );
}
