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
        // The web app's component tests (jsdom; only the network is faked, at fetch and WebSocket).
        resolve: { conditions: ['source'] },
        test: { name: 'web', root: './web', include: ['src/**/*.test.{ts,tsx}'], environment: 'jsdom', setupFiles: ['./src/test/setup.ts'], testTimeout: 30_000 },
      },
      {
        // The web app end to end: Debian's Chromium (playwright-core) against the real gateway, simulator and PostgreSQL.
        resolve: { conditions: ['source'] },
        test: {
          name: 'web-e2e',
          root: './web',
          include: ['e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['../gateway/test/support/global-setup.ts'],
          pool: 'forks',
          testTimeout: 120_000,
          hookTimeout: 240_000,
        },
      },
      {
        test: { name: 'deploy', root: './test/deploy', include: ['**/*.test.ts'], testTimeout: 30_000 },
      },
    ],
  },
});
