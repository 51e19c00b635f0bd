import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/helpers/global-setup.ts'],
    // Integration tests share one Redis and spawn real processes; running files in parallel on 2 cores makes
    // timings flaky and gains little.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Memory tests (R30) collect garbage before they measure.
    poolOptions: { forks: { execArgv: ['--expose-gc'] } },
  },
});
