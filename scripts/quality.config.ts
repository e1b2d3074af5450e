// `npm run quality`: vitest only as a TypeScript runner for scripts/quality.run.ts (no build
// needed), with its console output passed straight through.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['scripts/quality.run.ts'],
    disableConsoleIntercept: true,
    testTimeout: 900_000,
    reporters: ['dot'],
  },
});
