import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources (the `source` export condition), so tests
// need no build. Vite keeps separate conditions for the node (ssr) and browser-like (client) environments.
const sources = {
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
};

// One run over every workspace; scripts/test.mjs prints the single "N passed, N failed" line from it.
export default defineConfig({
  ...sources,
  test: {
    projects: [
      {
        ...sources,
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
        ...sources,
        test: { name: 'engine-sim', root: './engine-sim', include: ['test/**/*.test.ts'], testTimeout: 30_000 },
      },
      {
        // The web app's component tests (jsdom; only the network is faked, at fetch and WebSocket).
        ...sources,
        test: { name: 'web', root: './web', include: ['src/**/*.test.{ts,tsx}'], environment: 'jsdom', setupFiles: ['./src/test/setup.ts'], testTimeout: 30_000 },
      },
      {
        // The web app end to end: Debian's Chromium (playwright-core) against the real gateway, simulator and PostgreSQL.
        ...sources,
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
