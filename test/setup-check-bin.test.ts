/**
 * The `box-token-broker` bin, spawned once (slow project): the one check that the packaged entry
 * point runs the same engine as the in-process tests in setup-check.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SetupCheckResult } from '../lambda/setup/setup-check-types.js';
import {
  type BoxSimulator,
  type SimulatorApp,
  startBoxSimulator,
} from '../local/box-simulator/index.js';
import { SETUP_EXIT } from '../local/setup/exit-codes.js';
import { appEnv } from './support/setup-cli.js';

const APP = {
  clientId: 'acme-client-id',
  clientSecret: 'acme-secret-Xq7ZpLw',
  enterpriseId: '5550001',
};

let sim: BoxSimulator;
let app: SimulatorApp;

beforeAll(async () => {
  sim = await startBoxSimulator();
  app = sim.addApp(APP);
});

afterAll(async () => {
  await sim.close();
});

describe('the box-token-broker bin (spawned once)', () => {
  it('runs check from the environment and exits 1 naming the failed step', async () => {
    const { execFile } = await import('node:child_process');
    const { join, resolve } = await import('node:path');
    const root = resolve(import.meta.dirname, '..');
    app.misconfigure('not_authorized');
    const outcome = await new Promise<{ code: number; stdout: string }>((done) => {
      execFile(
        join(root, 'node_modules', '.bin', 'tsx'),
        [join(root, 'local', 'box-token-broker-cli.ts'), 'check', '--json'],
        { env: { PATH: process.env.PATH ?? '', ...appEnv(sim, APP) }, timeout: 20_000 },
        (error, stdout) => done({ code: error === null ? 0 : Number(error.code), stdout }),
      );
    });
    expect(outcome.code).toBe(SETUP_EXIT.failed);
    expect((JSON.parse(outcome.stdout) as SetupCheckResult).failedSteps).toEqual(['authorized']);
  });
});
