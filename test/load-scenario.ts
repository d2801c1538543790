// Scenario and step configs for tests that drive the load engine directly (startTrial).
import type { ScenarioConfig, StepConfig } from '../src/config/types.js';

export const step = (over: Partial<StepConfig> = {}): StepConfig => ({
  name: 's',
  method: 'GET',
  path: '/',
  headers: {},
  capture: {},
  ...over,
});

/** One request scenario, 2 connections, no warm-up, one trial; `over` changes any of it. */
export const scenario = (over: Partial<ScenarioConfig> = {}): ScenarioConfig => ({
  name: 'x',
  kind: 'request',
  steps: [step()],
  connections: 2,
  warmupMs: 0,
  trials: 1,
  durationMs: 400,
  timeoutMs: 2000,
  processes: 1,
  ...over,
});
