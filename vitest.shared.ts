import { defineConfig } from 'vitest/config';

/**
 * One test configuration for every workspace. Tests start real redis-server processes,
 * so hooks get generous timeouts and files run in separate forks (a killed server in one
 * file never disturbs another).
 */
export const sharedTestConfig = defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 20_000,
    maxWorkers: 2,
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
