export interface RawFigures {
  requests: number;
  errors: number;
  rps: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
}
export function rawClosed(url: string, o: { connections: number; durationMs: number; method?: string; body?: string }): Promise<RawFigures>;
export function rawPaced(url: string, o: { connections: number; rate: number; durationMs: number }): Promise<RawFigures>;
