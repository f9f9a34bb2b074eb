/**
 * The local broker with local IAM emulation on: SigV4 is verified against fixed test keys, each
 * mapped to an IAM principal, so clients are exercised end to end over real HTTP on 127.0.0.1.
 */

import type { LocalIamKey } from '../../local/iam/local-iam-keys.js';
import { sigV4Authenticator } from '../../local/iam/sigv4-authenticator.js';
import { SigV4Verifier } from '../../local/iam/sigv4-verifier.js';
import { type LocalBroker, startLocalBroker } from '../../local/local-broker.js';

/** Fake keys; they exist only in tests. */
export const TEST_KEYS = {
  etl: {
    accessKeyId: 'AKIDLOCALETL0000001',
    secretAccessKey: 'local-etl-secret-access-key-0001',
    arn: 'arn:aws:iam::111122223333:role/etl-nightly',
    accountId: '111122223333',
    principalOrgId: 'o-a1b2c3d4e5',
  },
  vendor: {
    accessKeyId: 'AKIDLOCALVENDOR0001',
    secretAccessKey: 'local-vendor-secret-access-key-01',
    arn: 'arn:aws:iam::444455556666:role/acme-box-connector',
    accountId: '444455556666',
  },
  temporary: {
    accessKeyId: 'ASIALOCALTEMP000001',
    secretAccessKey: 'local-temporary-secret-access-key',
    sessionToken: 'local-session-token-FwoGZXIvYXdzEXAMPLE',
    arn: 'arn:aws:sts::111122223333:assumed-role/etl-nightly/session-7',
    accountId: '111122223333',
  },
} as const satisfies Record<string, LocalIamKey>;

/** Credentials a signer would use for one of {@link TEST_KEYS}. */
export function credentialsOf(key: LocalIamKey): {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
} {
  return {
    accessKeyId: key.accessKeyId,
    secretAccessKey: key.secretAccessKey,
    ...(key.sessionToken === undefined ? {} : { sessionToken: key.sessionToken }),
  };
}

/**
 * A policy for the tests: the ETL role may have the enterprise token and user 42's, with or
 * without downscoping; the vendor only a downscoped preview of one folder.
 */
export const TEST_POLICY = JSON.stringify({
  version: 1,
  rules: [
    {
      id: 'etl',
      callers: ['arn:aws:iam::111122223333:role/etl-*'],
      subjects: ['enterprise', 'user:42'],
    },
    {
      id: 'vendor',
      callers: ['account:444455556666'],
      subjects: ['enterprise'],
      scopes: ['item_preview'],
      resources: ['folder:777'],
    },
  ],
});

export interface SignedBroker {
  broker: LocalBroker;
  url: string;
  /** Request log lines the broker wrote. */
  logLines: string[];
  close(): Promise<void>;
}

/** Starts the local broker (Box simulator mode unless `env` says otherwise) with SigV4 checked. */
export async function startSignedBroker(
  options: {
    env?: Record<string, string>;
    keys?: readonly LocalIamKey[];
    /** false: start even with an invalid access policy (to test the function's answer to it). */
    checkPolicy?: boolean;
  } = {},
): Promise<SignedBroker> {
  const logLines: string[] = [];
  const verifier = new SigV4Verifier({ keys: options.keys ?? Object.values(TEST_KEYS) });
  const broker = await startLocalBroker({
    port: 0,
    env: { BOX_ACCESS_POLICY: TEST_POLICY, ...options.env },
    sink: (line) => logLines.push(line),
    authenticate: sigV4Authenticator(verifier),
    ...(options.checkPolicy === undefined ? {} : { checkPolicy: options.checkPolicy }),
  });
  return { broker, url: broker.url, logLines, close: () => broker.close() };
}
