import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Engine tests start worker pools; two forks keep the two cores busy without oversubscribing.
    maxWorkers: 2,
  },
});
