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
        // The web app's component tests (jsdom); its end-to-end run in Chromium lives in web/e2e.
        resolve: { conditions: ['source'] },
        test: { name: 'web', root: './web', include: ['src/**/*.test.{ts,tsx}', 'e2e/**/*.test.ts'], environment: 'jsdom', testTimeout: 30_000, hookTimeout: 180_000 },
      },
      {
        test: { name: 'deploy', root: './test/deploy', include: ['**/*.test.ts'], testTimeout: 30_000 },
      },
    ],
  },
});
