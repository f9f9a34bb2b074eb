/**
 * Fleet state on one machine: the table (dynalite) and the key (the KMS stand-in) on loopback,
 * and the environment lines that point the broker (`npm start`) and the operator CLI
 * (`box-token-broker tenant …`) at them, so both share one table as deployed functions do.
 * `npm run state:local` runs it in a terminal; tests import {@link startLocalFleetState}.
 */
import { KMSClient, type KMSClientConfig } from '@aws-sdk/client-kms';
import { type KmsStandIn, startKmsStandIn } from './kms-stand-in.js';
import { LOCAL_AWS, type LocalTable, startLocalTable } from './local-table.js';

export { type KmsFault, type KmsStandIn, startKmsStandIn } from './kms-stand-in.js';
export { LOCAL_AWS, type LocalTable, startLocalTable } from './local-table.js';

export interface LocalFleetState {
  readonly table: LocalTable;
  readonly kms: KmsStandIn;
  /**
   * The environment of a broker or CLI using it: BOX_STATE_TABLE, BOX_STATE_KMS_KEY and the two
   * endpoints (AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_KMS).
   */
  readonly env: Readonly<Record<string, string>>;
  /**
   * A region and placeholder credentials, for a shell that has none (the local endpoints check
   * neither). Kept apart: a shell with real credentials keeps them for Secrets Manager.
   */
  readonly awsEnv: Readonly<Record<string, string>>;
  /** A KMS client of the stand-in (tests). */
  kmsClient(config?: KMSClientConfig): KMSClient;
  close(): Promise<void>;
}

export interface LocalFleetStateOptions {
  /** @default 0 (any free port) */
  dynamodbPort?: number;
  kmsPort?: number;
  tableName?: string;
}

export async function startLocalFleetState(
  options: LocalFleetStateOptions = {},
): Promise<LocalFleetState> {
  const table = await startLocalTable({
    ...(options.dynamodbPort === undefined ? {} : { port: options.dynamodbPort }),
    ...(options.tableName === undefined ? {} : { tableName: options.tableName }),
  });
  const kms = await startKmsStandIn(options.kmsPort === undefined ? {} : { port: options.kmsPort });
  return {
    table,
    kms,
    env: {
      BOX_STATE_TABLE: table.tableName,
      BOX_STATE_KMS_KEY: kms.alias,
      AWS_ENDPOINT_URL_DYNAMODB: table.url,
      AWS_ENDPOINT_URL_KMS: kms.url,
    },
    awsEnv: {
      AWS_REGION: LOCAL_AWS.region,
      AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
    },
    kmsClient: (config = {}) => new KMSClient({ ...LOCAL_AWS, endpoint: kms.url, ...config }),
    close: async () => {
      await Promise.all([table.close(), kms.close()]);
    },
  };
}
