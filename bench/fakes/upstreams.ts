/**
 * The two upstreams the broker talks to, both on 127.0.0.1: the Box simulator and the Secrets
 * Manager wire fake. Every figure in BENCHMARKS.md is measured against these, offline.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type BoxSimulator, startBoxSimulator } from '../../local/box-simulator/index.js';
import {
  type FakeSecretValue,
  type SecretsManagerFake,
  startSecretsManagerFake,
} from './secrets-manager-server.js';

/** Name of the secret the fake serves and the broker reads. */
export const BENCH_SECRET_NAME = 'box-token-broker/bench';

/** Fake Box app credentials (they exist only in the simulator). */
export const BENCH_CREDENTIALS: FakeSecretValue = {
  clientId: 'bench-client-id',
  clientSecret: 'bench-client-secret',
  enterpriseId: '1234567',
};

/** What an admin enters after resetting the client secret at Box. */
export const ROTATED_CREDENTIALS: FakeSecretValue = {
  ...BENCH_CREDENTIALS,
  clientSecret: 'bench-client-secret-rotated',
};

/** Fake AWS settings: the SDK signs with them; the fake does not check signatures. */
export const FAKE_AWS_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDBENCHFAKE000000',
  AWS_SECRET_ACCESS_KEY: 'bench-fake-secret-access-key',
} as const;

export interface Upstreams {
  box: BoxSimulator;
  secrets: SecretsManagerFake;
  /** A real SDK client pointed at the fake. */
  secretsManagerClient(): SecretsManagerClient;
  /** Environment a fresh process needs to reach both fakes through the standard config chain. */
  env(): Record<string, string>;
  close(): Promise<void>;
}

export interface UpstreamOptions {
  /** Clock of the simulator's token expiry and the fake's call log (share the broker's). */
  now?: () => number;
}

/** Starts the Box simulator and the Secrets Manager fake on ephemeral loopback ports. */
export async function startUpstreams(options: UpstreamOptions = {}): Promise<Upstreams> {
  const box = await startBoxSimulator({
    enterpriseId: BENCH_CREDENTIALS.enterpriseId,
    credentials: [
      { clientId: BENCH_CREDENTIALS.clientId, clientSecret: BENCH_CREDENTIALS.clientSecret },
    ],
    allowUserSubjects: true,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  const secrets = await startSecretsManagerFake(
    BENCH_SECRET_NAME,
    BENCH_CREDENTIALS,
    options.now ?? Date.now,
  );
  return {
    box,
    secrets,
    secretsManagerClient: () =>
      new SecretsManagerClient({
        region: FAKE_AWS_ENV.AWS_REGION,
        endpoint: secrets.url,
        credentials: {
          accessKeyId: FAKE_AWS_ENV.AWS_ACCESS_KEY_ID,
          secretAccessKey: FAKE_AWS_ENV.AWS_SECRET_ACCESS_KEY,
        },
      }),
    env: () => ({
      ...FAKE_AWS_ENV,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
      BOX_CREDENTIALS_SECRET: BENCH_SECRET_NAME,
      BOX_API_URL: box.url,
    }),
    close: async () => {
      await Promise.all([box.close(), secrets.close()]);
    },
  };
}
