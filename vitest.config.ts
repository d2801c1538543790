import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests load a real service on a 2-core machine: one file at a time keeps the
    // load generator and the services of different files from competing for the CPU.
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
