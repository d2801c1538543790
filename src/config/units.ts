// Parsing of the human units used in perfgate.yml: durations, sizes, percents.
// Each parser returns undefined for text it does not understand, so callers can say where.

const DURATION_UNITS: Record<string, number> = {
  us: 0.001,
  µs: 0.001,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** `500ms`, `10s`, `1.5m`, `250us` → milliseconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(us|µs|ms|s|m|h)\s*$/.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * DURATION_UNITS[m[2]!]!;
}

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1024,
  kib: 1024,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
};

/** `512MB`, `2GB`, `100KiB` → bytes. KB/MB/GB are binary (1 GB = 1024³ B), like `free` and `ps`. */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b)\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = SIZE_UNITS[m[2]!.toLowerCase()];
  return unit === undefined ? undefined : Number(m[1]) * unit;
}

/** `1%` → 0.01; `99.9%` → 0.999. */
export function parsePercent(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(text);
  return m ? Number(m[1]) / 100 : undefined;
}

export function formatDuration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000) return `${+(ms / 1000).toFixed(3)}s`;
  if (ms >= 1) return `${+ms.toFixed(3)}ms`;
  return `${+(ms * 1000).toFixed(1)}µs`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return `${i === 0 ? value : +value.toFixed(value >= 100 ? 0 : 1)} ${units[i]}`;
}
