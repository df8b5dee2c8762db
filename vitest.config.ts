import { defineConfig } from 'vitest/config';

// One run over every workspace; scripts/test.mjs prints the single "N passed, N failed" line from it.
export default defineConfig({
  resolve: { conditions: ['source'] },
  test: {
    projects: [
      {
        resolve: { conditions: ['source'] },
        test: {
          name: 'gateway',
          root: './gateway',
          include: ['test/**/*.test.ts'],
          globalSetup: ['./test/support/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 120_000,
          pool: 'forks',
        },
      },
      {
        resolve: { conditions: ['source'] },
        test: { name: 'engine-sim', root: './engine-sim', include: ['test/**/*.test.ts'], testTimeout: 30_000 },
      },
      {
        test: { name: 'deploy', root: './test/deploy', include: ['**/*.test.ts'], testTimeout: 30_000 },
      },
    ],
  },
});
