import { defineConfig } from 'vitest/config';

/**
 * Tests that synthesize the CDK app, bundle the function or start other processes (the CLI bins,
 * `npm start`, Python). `npm test` runs everything; `npm run test:unit` skips these for a fast
 * edit-test loop.
 */
const SLOW = [
  'test/infra-*.test.ts',
  'test/cli.test.ts',
  'test/setup-check-bin.test.ts',
  'test/local-host-guard.test.ts',
  'test/validate-policy.test.ts',
  'test/python-example.test.ts',
  'test/onboarding-browser.test.ts',
];

export default defineConfig({
  test: {
    environment: 'node',
    // Infra tests run esbuild and cdk synth; give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    restoreMocks: true,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: SLOW } },
      { extends: true, test: { name: 'slow', include: SLOW } },
    ],
  },
});
