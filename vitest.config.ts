import { defineConfig } from 'vitest/config';

// Three projects: unit tests sit beside their code; integration and e2e tests
// live under test/ and share one real control plane + object stores started
// by test/env/global-setup.ts.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'operator/**/*.test.ts',
            'agent/**/*.test.ts',
            'proto/**/*.test.ts',
            'core/**/*.test.ts',
            'cli/**/*.test.ts',
            'test/env/**/*.test.ts',
            'scripts/**/*.test.ts',
          ],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/env/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Tests here share one control plane, network namespaces and root-only
          // capture: run their files one at a time.
          poolOptions: { forks: { singleFork: true } },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/env/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          // Tests here share one control plane, network namespaces and root-only
          // capture: run their files one at a time.
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
});
