/**
 * Fleet state for tests, with real protocols: dynalite on 127.0.0.1 for DynamoDB and the KMS
 * stand-in (local/state/kms-stand-in.ts) for KMS, reached by the real SDK clients. A fault proxy in
 * front of either answers as a sick AWS endpoint does (throttled, denied, slow, connection reset).
 * The broker, health and onboarding tests all start their table here.
 *
 *   const fleet = await startTestFleetState();        // once per file (beforeAll)
 *   const state = await fleet.newState({ now });      // a fresh table per test
 *   ...
 *   await fleet.close();                              // afterAll
 */
import { randomUUID } from 'node:crypto';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { buildFleetState, type FleetState } from '../../lambda/state/fleet-state.js';
import type { StateItem } from '../../lambda/state/state-table.js';
import { LOCAL_AWS, type LocalFleetState, startLocalFleetState } from '../../local/state/index.js';

export { LOCAL_AWS } from '../../local/state/index.js';

/** A fault the proxy answers instead of forwarding, until cleared. */
export type EndpointFault =
  | { kind: 'throttled' }
  | { kind: 'denied' }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'reset' };

/** A loopback proxy in front of an AWS endpoint; `fault` makes it answer as a sick one. */
export interface FaultProxy {
  readonly url: string;
  fault: EndpointFault | undefined;
  /** Requests received (forwarded or faulted). */
  readonly requests: number;
  close(): Promise<void>;
}

/** The error an AWS JSON endpoint answers for a fault, per service. */
const FAULT_TYPES = {
  dynamodb: {
    throttled: 'com.amazonaws.dynamodb.v20120810#ThrottlingException',
    denied: 'com.amazon.coral.service#AccessDeniedException',
  },
  kms: { throttled: 'ThrottlingException', denied: 'AccessDeniedException' },
} as const;

export async function startFaultProxy(
  target: string,
  service: keyof typeof FAULT_TYPES,
): Promise<FaultProxy> {
  const targetUrl = new URL(target);
  const timers = new Set<NodeJS.Timeout>();
  let requests = 0;
  const proxy: { fault: EndpointFault | undefined } = { fault: undefined };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests += 1;
    const fault = proxy.fault;
    const forward = () => {
      const upstream = httpRequest(
        {
          host: targetUrl.hostname,
          port: targetUrl.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    };
    if (fault === undefined) return forward();
    if (fault.kind === 'reset') return req.socket.destroy();
    if (fault.kind === 'slow') {
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!res.destroyed) forward();
      }, fault.delayMs);
      timers.add(timer);
      return;
    }
    req.resume();
    const type = FAULT_TYPES[service][fault.kind];
    res.writeHead(400, {
      'content-type': 'application/x-amz-json-1.0',
      'x-amzn-errortype': type.slice(type.indexOf('#') + 1),
    });
    res.end(JSON.stringify({ __type: type, message: `Injected ${fault.kind} fault.` }));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get fault() {
      return proxy.fault;
    },
    set fault(next) {
      proxy.fault = next;
    },
    get requests() {
      return requests;
    },
    close: () =>
      new Promise<void>((done) => {
        for (const timer of timers) clearTimeout(timer);
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** One test's fleet state: its own table, the stores on it, and what to inspect. */
export interface TestState extends FleetState {
  readonly tableName: string;
  /** The broker's environment for this table (BOX_STATE_* and the endpoints). */
  readonly env: Readonly<Record<string, string>>;
  /** Every item of the table (a full scan), for "nothing secret" assertions. */
  scan(): Promise<StateItem[]>;
}

export interface TestFleetState {
  readonly local: LocalFleetState;
  /** Proxies in front of the table and the key (faults); `newState` goes through them. */
  readonly dynamodbProxy: FaultProxy;
  readonly kmsProxy: FaultProxy;
  /** A fresh table and the stores on it; `callTimeoutMs` defaults to 2 s (loopback, busy CI). */
  newState(options?: { now?: () => number; callTimeoutMs?: number }): Promise<TestState>;
  /**
   * Stores on an existing table with clients of their own: another execution environment of the
   * same deployment.
   */
  attach(tableName: string, options?: { now?: () => number; callTimeoutMs?: number }): FleetState;
  /** A DynamoDB client of the table's endpoint (through the proxy). */
  dynamodb(): DynamoDBClient;
  /** A KMS client of the stand-in (through the proxy). */
  kms(): KMSClient;
  close(): Promise<void>;
}

/** Starts dynalite, the KMS stand-in and a fault proxy in front of each. */
export async function startTestFleetState(): Promise<TestFleetState> {
  const local = await startLocalFleetState();
  const dynamodbProxy = await startFaultProxy(local.table.url, 'dynamodb');
  const kmsProxy = await startFaultProxy(local.kms.url, 'kms');
  const clients: { destroy(): void }[] = [];
  const scanClient = local.table.client();
  clients.push(scanClient);
  const dynamodb = () => {
    // One attempt: a faulted call must fail at once, not after the SDK's back-off.
    const client = new DynamoDBClient({
      ...LOCAL_AWS,
      endpoint: dynamodbProxy.url,
      maxAttempts: 1,
    });
    clients.push(client);
    return client;
  };
  const kms = () => {
    const client = new KMSClient({ ...LOCAL_AWS, endpoint: kmsProxy.url, maxAttempts: 1 });
    clients.push(client);
    return client;
  };
  const attach = (
    tableName: string,
    options: { now?: () => number; callTimeoutMs?: number } = {},
  ): FleetState =>
    buildFleetState({
      tableName,
      kmsKeyId: local.kms.alias,
      now: options.now ?? Date.now,
      dynamodb: dynamodb(),
      kms: kms(),
      callTimeoutMs: options.callTimeoutMs ?? 2000,
    });
  return {
    local,
    dynamodbProxy,
    kmsProxy,
    dynamodb,
    kms,
    attach,
    async newState(options = {}) {
      const tableName = `state-${randomUUID()}`;
      await local.table.createTable(tableName);
      const state = attach(tableName, options);

      return {
        ...state,
        tableName,
        env: {
          ...local.env,
          ...local.awsEnv,
          BOX_STATE_TABLE: tableName,
          AWS_ENDPOINT_URL_DYNAMODB: dynamodbProxy.url,
          AWS_ENDPOINT_URL_KMS: kmsProxy.url,
        },
        async scan() {
          const items: StateItem[] = [];
          let start: StateItem | undefined;
          do {
            const page = await scanClient.send(
              new ScanCommand({
                TableName: tableName,
                ...(start === undefined ? {} : { ExclusiveStartKey: start }),
              }),
            );
            items.push(...(page.Items ?? []));
            start = page.LastEvaluatedKey;
          } while (start !== undefined);
          return items;
        },
      };
    },
    async close() {
      for (const client of clients) client.destroy();
      await Promise.all([dynamodbProxy.close(), kmsProxy.close()]);
      await local.close();
    },
  };
}
