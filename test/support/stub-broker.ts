/**
 * A stand-in broker on 127.0.0.1 that records what clients send (method, path, headers, JSON
 * body) and answers token requests with a new token each time, so tests can check the caller
 * side of the contract (fields, headers, signing) without the broker's own rules in the way.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the stub received. */
export interface StubRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown> | undefined;
}

/** How the stub answers a request: status and JSON body. */
export type StubAnswer = (request: StubRequest, index: number) => { status: number; body: unknown };

export interface StubBroker {
  url: string;
  requests: StubRequest[];
  /** Replaces the answer function (default: a fresh token `token-N` for every request). */
  answer: StubAnswer;
  close(): Promise<void>;
}

/** A token response for `token`, as the broker would send it. */
export function tokenBody(token: string, extra: Record<string, unknown> = {}) {
  return {
    access_token: token,
    token_type: 'bearer',
    expires_in: 3600,
    expires_at: '2030-01-01T00:00:00Z',
    restricted_to: [],
    box_subject_type: 'enterprise',
    box_subject_id: '1234567',
    ...extra,
  };
}

/** Starts the stub on a free loopback port. */
export async function startStubBroker(): Promise<StubBroker> {
  const stub: StubBroker = {
    url: '',
    requests: [],
    answer: (request, index) =>
      request.path.endsWith('/revoke')
        ? { status: 200, body: { revoked: true } }
        : {
            status: 200,
            body: tokenBody(`token-${index}`, {
              ...(typeof request.body?.tenant === 'string' ? { tenant: request.body.tenant } : {}),
            }),
          },
    close: async () => undefined,
  };
  const server: Server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      text += chunk;
    });
    req.on('end', () => {
      const request: StubRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>),
      };
      stub.requests.push(request);
      const { status, body } = stub.answer(request, stub.requests.length);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  stub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prod`;
  stub.close = () => {
    server.closeAllConnections();
    return new Promise((done) => server.close(() => done()));
  };
  return stub;
}
