/**
 * The fleet state table on one machine: dynalite (DynamoDB in pure JavaScript, in memory) on
 * 127.0.0.1, with the table created as the construct creates it (`pk` S, `sk` S). dynalite has
 * no `UpdateTimeToLive` and no transactions: the broker never relies on either (readers ignore
 * items whose `ttl` has passed; writes are single-item conditional puts).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type DynamoDBClientConfig,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';

/** Credentials and region for the local endpoints (they check neither). */
export const LOCAL_AWS = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const;

export interface LocalTable {
  /** Origin of the endpoint (AWS_ENDPOINT_URL_DYNAMODB). */
  readonly url: string;
  readonly tableName: string;
  /** A client of the endpoint (tests; the broker builds its own from the environment). */
  client(config?: DynamoDBClientConfig): DynamoDBClient;
  /** Creates another table of the same shape (e.g. one per test). */
  createTable(name: string): Promise<void>;
  close(): Promise<void>;
}

/** Starts dynalite on 127.0.0.1 (port 0 = any free port) and creates the table. */
export async function startLocalTable(
  options: { port?: number; tableName?: string } = {},
): Promise<LocalTable> {
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, '127.0.0.1', () => done());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const client = (config: DynamoDBClientConfig = {}) =>
    new DynamoDBClient({ ...LOCAL_AWS, endpoint: url, ...config });
  const admin = client();
  const createTable = async (name: string) => {
    await admin.send(
      new CreateTableCommand({
        TableName: name,
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    // createTableMs 0: ACTIVE on the next tick; wait for it all the same.
    for (;;) {
      const table = await admin.send(new DescribeTableCommand({ TableName: name }));
      if (table.Table?.TableStatus === 'ACTIVE') return;
      await new Promise((done) => setImmediate(done));
    }
  };
  const tableName = options.tableName ?? 'box-token-broker-state';
  await createTable(tableName);
  return {
    url,
    tableName,
    client,
    createTable,
    close: () =>
      new Promise<void>((done) => {
        admin.destroy();
        server.closeAllConnections?.();
        server.close(() => done());
      }),
  };
}
