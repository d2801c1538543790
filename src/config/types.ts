import type { TargetExpr } from '../analysis/expression.js';
import type { RegressionSettings } from '../analysis/regression.js';

export interface Config {
  /** Absolute path of the config file. */
  file: string;
  name: string;
  service: ServiceConfig;
  scenarios: ScenarioConfig[];
  /** Every target, scenario blocks included, in the order written. */
  targets: TargetConfig[];
  report: { template?: string };
  history: HistoryConfig;
  regression: RegressionSettings;
  /** How to start the base build, for A/B mode. */
  baseline?: { service: ServiceConfig };
  /** `ab` when a baseline service is configured (unless mode says otherwise), else `history`. */
  mode: 'history' | 'ab';
  ab: AbSettings;
}

export interface AbSettings {
  /** Trials per side before the first look. */
  minTrials: number;
  /** Trials per side at most. */
  maxTrials: number;
  /** Trials per side added between looks. */
  step: number;
  /** Wall-clock budget for the whole A/B measurement. */
  budgetMs: number;
}

export const AB_DEFAULTS: AbSettings = { minTrials: 6, maxTrials: 20, step: 2, budgetMs: 15 * 60_000 };

export interface HistoryConfig {
  store: 'dir' | 'git' | 'none';
  /** dir store: absolute path. */
  path: string;
  remote: string;
  branch: string;
  save: 'auto' | boolean;
  keep: number;
}

export interface ServiceConfig {
  /** Shell command; absent for an external target. */
  command?: string;
  cwd: string;
  env: Record<string, string>;
  port?: number | 'auto';
  /** Base URL; may still hold `{port}` until the port is chosen. */
  url: string;
  ready:
    | { kind: 'http'; url: string; timeoutMs: number }
    | { kind: 'tcp'; timeoutMs: number }
    | { kind: 'log'; pattern: RegExp; timeoutMs: number };
  /** Path or URL polled for uptime. */
  health: string;
  stopTimeoutMs: number;
  allowRemote: boolean;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';

export interface StepConfig {
  name: string;
  method: HttpMethod;
  path: string;
  headers: Record<string, string>;
  /** Raw body, or JSON (`json:`) serialised per request after variable substitution. */
  body?: string;
  json?: unknown;
  capture: Record<string, string>;
}

export interface ScenarioConfig {
  name: string;
  kind: 'request' | 'workflow';
  steps: StepConfig[];
  connections: number;
  /** Open model: requests per second over all connections. */
  rate?: number;
  warmupMs: number;
  trials: number;
  durationMs: number;
  timeoutMs: number;
}

export interface TargetConfig {
  name: string;
  expr: string;
  parsed: TargetExpr;
  /** Scenario name, or undefined for the whole run. */
  scenario?: string;
  notes?: string;
  /** Where it was written, for messages. */
  path: string;
}

export const LOAD_DEFAULTS = {
  connections: 10,
  warmupMs: 2000,
  trials: 5,
  durationMs: 5000,
  timeoutMs: 10_000,
} as const;

export const SERVICE_DEFAULTS = {
  readyTimeoutMs: 30_000,
  stopTimeoutMs: 5000,
} as const;
