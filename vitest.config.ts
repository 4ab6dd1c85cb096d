import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30000,
    hookTimeout: 30000,
    pool: 'forks',
    // e2e tests spawn the CLI and git; 2 cores in CI
    maxWorkers: 2,
  },
});
