/**
 * Fleet state as a deployment configures it: only through the environment. Each environment is
 * a fresh module instance of lambda/handler.ts (its own runtime, clients and cache), reaching
 * dynalite and the KMS stand-in through `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL_KMS` with
 * the production call timeouts, on a table created with the raw SDK (`pk`/`sk` only, no TTL
 * configured). Box is the simulator; Secrets Manager a command fake on every client.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AttributeValue,
  CreateTableCommand,
  DynamoDBClient,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import dynalite from 'dynalite';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { apiGatewayEvent, lambdaContext } from '../../local/api-gateway-adapter.js';
import { type BoxSimulator, startBoxSimulator } from '../../local/box-simulator/index.js';
import { type KmsStandIn, startKmsStandIn } from '../../local/state/kms-stand-in.js';

const ENTERPRISE_ID = '1234567';
const CLIENT_ID = 'env-client-id';
const CLIENT_SECRET = 'env-client-secret-S3CR3T';
const CALLER = {
  userArn: 'arn:aws:sts::111122223333:assumed-role/etl-prod/session-1',
  accountId: '111122223333',
  principalOrgId: 'o-a1b2c3d4e5',
};
const POLICY = {
  version: 1,
  rules: [
    {
      id: 'etl',
      callers: ['arn:aws:iam::111122223333:role/etl-*'],
      tenants: ['*'],
      subjects: ['enterprise'],
      scopes: ['item_preview'],
      resources: ['folder:123'],
    },
    {
      id: 'etl-enterprise',
      callers: ['arn:aws:iam::111122223333:role/etl-*'],
      tenants: ['*'],
      subjects: ['enterprise'],
    },
  ],
};
const SCOPED = { scope: 'item_preview', resource: 'https://api.box.com/2.0/folders/123' };

type Handler = (event: unknown, context: Context) => Promise<unknown>;

let dynamodb: Server;
let dynamodbUrl: string;
let admin: DynamoDBClient;
let kms: KmsStandIn;
let box: BoxSimulator;
let tables = 0;
let requests = 0;
const lines: string[] = [];

beforeAll(async () => {
  dynamodb = dynalite({ createTableMs: 0 });
  await new Promise<void>((listening) => dynamodb.listen(0, '127.0.0.1', () => listening()));
  dynamodbUrl = `http://127.0.0.1:${(dynamodb.address() as AddressInfo).port}`;
  admin = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: dynamodbUrl,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  kms = await startKmsStandIn();
  box = await startBoxSimulator({
    enterpriseId: ENTERPRISE_ID,
    credentials: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }],
  });
});
afterAll(async () => {
  vi.unstubAllEnvs();
  admin?.destroy();
  await box?.close();
  await kms?.close();
  await new Promise((closed) => dynamodb?.close(closed));
});
beforeEach(() => {
  // Every tenant's secret reads as the same Box app (the mock covers every client instance).
  mockClient(SecretsManagerClient)
    .on(GetSecretValueCommand)
    .resolves({
      VersionId: 'v1',
      SecretString: JSON.stringify({
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        enterpriseId: ENTERPRISE_ID,
      }),
    });
  lines.length = 0;
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
});

/** A table as an operator might create it: the key schema alone. */
async function newTable(): Promise<string> {
  tables += 1;
  const name = `env-fleet-${tables}`;
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
  return name;
}

/** One execution environment: a fresh module instance of the handler, built from `env`. */
async function environment(table: string, env: Record<string, string> = {}): Promise<Handler> {
  const variables: Record<string, string> = {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynamodbUrl,
    AWS_ENDPOINT_URL_KMS: kms.url,
    BOX_API_URL: box.url,
    BOX_TENANT_SECRET_PREFIX: 'box-token-broker/tenants/',
    BOX_ACCESS_POLICY: JSON.stringify(POLICY),
    BOX_STATE_TABLE: table,
    BOX_STATE_KMS_KEY: kms.alias,
    ...env,
  };
  for (const [name, value] of Object.entries(variables)) vi.stubEnv(name, value);
  vi.resetModules();
  return ((await import('../../lambda/handler.js')) as { handler: Handler }).handler;
}

async function token(handler: Handler, tenant: string, ask: Record<string, string> = {}) {
  requests += 1;
  const id = `env-${requests}`;
  const event = apiGatewayEvent({
    method: 'POST',
    path: '/token',
    headers: {},
    body: JSON.stringify({ tenant, ...ask }),
    identity: CALLER,
    requestId: id,
    sourceIp: '10.0.0.1',
    stage: 'prod',
  });
  const raw = (await handler(event, lambdaContext(id, 'api'))) as APIGatewayProxyResult;
  return { status: raw.statusCode, body: JSON.parse(raw.body) as Record<string, unknown> };
}

/** The request log line written last. */
function lastLine(): Record<string, unknown> {
  const line = lines.filter((l) => l.includes('"request_id"')).at(-1);
  return JSON.parse(line ?? '{}') as Record<string, unknown>;
}

async function tokenItems(table: string): Promise<Record<string, AttributeValue>[]> {
  const scan = await admin.send(new ScanCommand({ TableName: table }));
  return (scan.Items ?? []).filter((item) => item.pk?.S?.startsWith('token#'));
}

function sealedOf(item: Record<string, AttributeValue>): AttributeValue {
  if (item.sealed === undefined) throw new Error('a token item without its ciphertext');
  return item.sealed;
}

describe('Fleet state configured by the environment alone', () => {
  it('shares a token across environments naming the key by alias, ARN or key ID, with no Box call', async () => {
    // Arrange
    const table = await newTable();
    const keyId = kms.keyArn.slice(kms.keyArn.lastIndexOf('/') + 1);
    const minter = await environment(table);
    const byArn = await environment(table, { BOX_STATE_KMS_KEY: kms.keyArn });
    const byId = await environment(table, { BOX_STATE_KMS_KEY: keyId });
    const first = await token(minter, 'acme');
    const grants = box.tokenCallCount();

    // Act
    const answers = [await token(byArn, 'acme'), await token(byId, 'acme')];

    // Assess
    expect(first.status).toBe(200);
    for (const answer of answers) expect(answer.body.access_token).toBe(first.body.access_token);
    expect(box.tokenCallCount()).toBe(grants);
    expect(lastLine()).toMatchObject({ state_hit: true, box_calls: 0 });
  });

  it('never serves an item moved to another cache key of the tenant', async () => {
    // Arrange: the enterprise token and a downscoped one in the table; each item's ciphertext is
    // then swapped for the other's.
    const table = await newTable();
    const minter = await environment(table);
    const enterprise = await token(minter, 'acme');
    const downscoped = await token(minter, 'acme', SCOPED);
    const items = await tokenItems(table);
    expect(items).toHaveLength(2);
    const [one, two] = items as [Record<string, AttributeValue>, Record<string, AttributeValue>];
    await admin.send(
      new PutItemCommand({ TableName: table, Item: { ...one, sealed: sealedOf(two) } }),
    );
    await admin.send(
      new PutItemCommand({ TableName: table, Item: { ...two, sealed: sealedOf(one) } }),
    );
    const reader = await environment(table);

    // Act
    const answer = await token(reader, 'acme', SCOPED);

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body.access_token).not.toBe(enterprise.body.access_token);
    expect(answer.body.access_token).not.toBe(downscoped.body.access_token);
    expect(lastLine()).toMatchObject({ StateItemsRejected: 1 });
  });

  it('never serves an item moved to another tenant', async () => {
    // Arrange: both tenants' tokens in the table; acme's ciphertext copied over globex's item.
    const table = await newTable();
    const minter = await environment(table);
    const acme = await token(minter, 'acme');
    const globex = await token(minter, 'globex');
    const items = await tokenItems(table);
    const acmeItem = items.find((item) => item.pk?.S === 'token#acme');
    const globexItem = items.find((item) => item.pk?.S === 'token#globex');
    if (acmeItem === undefined || globexItem === undefined) throw new Error('no token items');
    await admin.send(
      new PutItemCommand({ TableName: table, Item: { ...globexItem, sealed: sealedOf(acmeItem) } }),
    );
    const reader = await environment(table);

    // Act
    const answer = await token(reader, 'globex');

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body.access_token).not.toBe(acme.body.access_token);
    expect(answer.body.access_token).not.toBe(globex.body.access_token);
    expect(lastLine()).toMatchObject({ StateItemsRejected: 1 });
  });

  it.each([
    ['names a table that does not exist', { BOX_STATE_TABLE: 'no-such-table' }],
    [
      'points at an endpoint that refuses connections',
      { AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9' },
    ],
    [
      'points at a KMS endpoint that refuses connections',
      { AWS_ENDPOINT_URL_KMS: 'http://127.0.0.1:9' },
    ],
  ])('serves from Box, counting StateErrors, when the environment %s', async (_case, env) => {
    // Arrange
    const handler = await environment(await newTable(), env);

    // Act
    const answer = await token(handler, 'acme');

    // Assess
    expect(answer.status).toBe(200);
    expect(Number(lastLine().StateErrors)).toBeGreaterThan(0);
    expect(lines.join('')).not.toContain(CLIENT_SECRET);
  });
});
