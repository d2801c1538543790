// The raw shape of perfgate.yml after schema validation: what the YAML says, before meaning.
import type { BuiltinMetric } from '../contract/result.js';
import type { HttpMethod } from './types.js';

export type StringMap = Record<string, string | number | boolean>;
export interface RawRequest {
  name?: string;
  method?: HttpMethod;
  path: string;
  headers?: StringMap;
  body?: string;
  json?: unknown;
  capture?: Record<string, string>;
  expect?: number[];
}
export type RawTarget = string | { name?: string; expr: string; scenario?: string; notes?: string };
export interface RawScenario {
  name: string;
  request?: RawRequest;
  workflow?: RawRequest[];
  connections?: number;
  rate?: number;
  arrival?: 'uniform' | 'poisson';
  processes?: number;
  warmup?: string;
  trials?: number;
  duration?: string;
  timeout?: string;
  'connect-timeout'?: string;
  headers?: StringMap;
  targets?: RawTarget[];
  ramp?: {
    by?: 'connections' | 'rate';
    start: number;
    factor?: number;
    max: number;
    step?: string;
    stop?: { p95?: string; p99?: string; errors?: string };
  };
}
export type RawDefinition =
  string | { expr: string; unit?: 'number' | 'percent' | 'bytes' | 'ms' | 'per-second'; better?: 'higher' | 'lower'; delta?: string };
export interface RawService {
  command?: string;
  cwd?: string;
  env?: StringMap;
  port?: number | 'auto';
  url?: string;
  ready?: { http?: string; tcp?: boolean; log?: string; timeout?: string };
  health?: string;
  'stop-timeout'?: string;
  'allow-remote'?: boolean;
  tls?: { insecure?: boolean; ca?: string };
  metrics?: { url: string; timeout?: string; define?: Record<string, RawDefinition> };
}
export interface RawDependency {
  name: string;
  command: string;
  cwd?: string;
  env?: StringMap;
  port?: number | 'auto';
  ready?: { tcp?: boolean; log?: string; http?: string; timeout?: string };
  setup?: string;
  stop?: string;
  'stop-timeout'?: string;
  provides?: StringMap;
  'per-build'?: boolean;
}
export interface RawConfig {
  name?: string;
  service?: RawService;
  dependencies?: RawDependency[];
  baseline?: { service?: RawService; ref?: string; setup?: string };
  ab?: { 'min-trials'?: number; 'max-trials'?: number; step?: number; budget?: string; design?: 'duet' | 'interleaved' };
  mode?: 'auto' | 'history' | 'ab';
  load?: {
    processes?: number;
    arrival?: 'uniform' | 'poisson';
    connections?: number;
    warmup?: string;
    trials?: number;
    duration?: string;
    timeout?: string;
    'connect-timeout'?: string;
    headers?: StringMap;
  };
  scenarios: RawScenario[];
  targets?: RawTarget[];
  unjudgeable?: 'fail' | 'warn';
  profile?: 'auto' | 'off' | 'node' | 'python' | 'perf';
  report?: { template?: string };
  history?: { store?: 'dir' | 'git' | 'none'; path?: string; remote?: string; branch?: string; save?: 'auto' | boolean; keep?: number };
  regression?: {
    window?: number;
    'min-runs'?: number;
    alpha?: number;
    beta?: number;
    delta?: Partial<Record<BuiltinMetric, string>>;
    'on-missing-baseline'?: 'pass' | 'warn' | 'fail';
    gate?: string[];
    spreads?: 'own' | 'moderated';
    'run-level'?: 'best' | 'median';
    yardstick?: boolean;
    against?: 'stored-runs' | 'stored-build';
  };
}
