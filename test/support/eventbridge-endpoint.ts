/**
 * A wire-level EventBridge endpoint on 127.0.0.1: answers `PutEvents` in the AWS JSON 1.1
 * protocol the real `@aws-sdk/client-eventbridge` speaks, so a broker configured only through
 * its environment (`AWS_ENDPOINT_URL_EVENTBRIDGE`) puts its events here. `fault` makes it answer
 * as a sick EventBridge does: a throttled entry (200 with `FailedEntryCount`) or a 500.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One entry EventBridge accepted, as it came over the wire. */
export interface WireEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  /** Epoch seconds, as the SDK serialises a timestamp. */
  Time?: number;
  Resources?: string[];
}

export interface EventBridgeEndpoint {
  /** AWS_ENDPOINT_URL_EVENTBRIDGE. */
  readonly url: string;
  /** Entries accepted, in order. */
  readonly accepted: WireEntry[];
  /** `X-Amz-Target` of every request received. */
  readonly targets: string[];
  fault: 'throttled' | 'internal' | undefined;
  close(): Promise<void>;
}

const JSON_TYPE = 'application/x-amz-json-1.1';

export async function startEventBridgeEndpoint(): Promise<EventBridgeEndpoint> {
  const accepted: WireEntry[] = [];
  const targets: string[] = [];
  const state: { fault: EventBridgeEndpoint['fault'] } = { fault: undefined };
  const answer = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': JSON_TYPE });
    res.end(JSON.stringify(body));
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      targets.push(String(req.headers['x-amz-target']));
      if (req.headers['x-amz-target'] !== 'AWSEvents.PutEvents') {
        answer(res, 400, { __type: 'UnknownOperationException' });
        return;
      }
      const entries =
        (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Entries?: WireEntry[] }).Entries ??
        [];
      if (state.fault === 'internal') {
        answer(res, 500, { __type: 'InternalException', message: 'EventBridge is down' });
        return;
      }
      if (state.fault === 'throttled') {
        answer(res, 200, {
          FailedEntryCount: entries.length,
          Entries: entries.map(() => ({
            ErrorCode: 'ThrottlingException',
            ErrorMessage: 'Rate exceeded',
          })),
        });
        return;
      }
      accepted.push(...entries);
      answer(res, 200, {
        FailedEntryCount: 0,
        Entries: entries.map((_, i) => ({
          EventId: `event-${accepted.length - entries.length + i}`,
        })),
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    accepted,
    targets,
    get fault() {
      return state.fault;
    },
    set fault(value) {
      state.fault = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
