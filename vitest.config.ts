import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // generous: the tests measure behaviour, never time, and a shared 2-core machine can be 10x slower
    testTimeout: 90000,
    hookTimeout: 90000,
    pool: 'forks',
    // e2e tests spawn the CLI and git; 2 cores in CI
    maxWorkers: 2,
  },
});
