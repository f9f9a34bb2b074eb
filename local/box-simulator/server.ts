/**
 * The simulator's HTTP side: listens on loopback, records every request, lets a queued fault
 * intercept it, routes the rest, and closes cleanly (dropping hung connections).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isLoopbackHost, isLoopbackOrigin } from '../host-guard.js';
import { clientError, JSON_HEADERS, type SimAnswer } from './answers.js';
import { faultAnswer } from './faults.js';
import { isForm, type RecordedRequest, RequestLog, readBody } from './requests.js';
import { route } from './router.js';
import type { SimulatorState } from './state.js';

/** A server listening on `host:port` (port 0: an ephemeral one). */
export async function listen(host: string, port: number): Promise<Server> {
  const server = createServer();
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      done();
    });
  });
  return server;
}

/** Answers a listening server's requests from the simulator's state, and records them. */
export class SimulatorServer {
  /** Origin of the server, e.g. `http://127.0.0.1:54321`. */
  readonly url: string;
  readonly port: number;
  readonly #server: Server;
  readonly #state: SimulatorState;
  readonly #log: RequestLog;
  readonly #timers = new Set<NodeJS.Timeout>();
  #closed: Promise<void> | undefined;

  constructor(server: Server, state: SimulatorState, requestLogLimit?: number) {
    const address = server.address() as AddressInfo;
    this.#server = server;
    this.#state = state;
    this.#log = new RequestLog(requestLogLimit);
    this.port = address.port;
    this.url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.#handle(req, res).catch(() => {
        // A simulator bug must be visible to the test as a failure, not as a hang.
        if (!res.headersSent) res.writeHead(500, JSON_HEADERS);
        res.end(JSON.stringify({ error: 'simulator_error' }));
      });
    });
  }

  /** The last requests received (bounded, see RequestLog), oldest first. */
  get requests(): readonly RecordedRequest[] {
    return this.#log.entries;
  }

  /** Requests to `path` ever received (not bounded), optionally only with this `grant_type`. */
  callCount(path: string, grantType?: string): number {
    return this.#log.count(path, grantType);
  }

  /** Forgets the recorded requests and the counts. */
  clearRequests(): void {
    this.#log.clear();
  }

  /** Stops the server, dropping hung and idle connections. Idempotent. */
  close(): Promise<void> {
    if (this.#closed === undefined) {
      for (const timer of this.#timers) clearTimeout(timer);
      this.#timers.clear();
      this.#closed = new Promise((done) => {
        this.#server.close(() => done());
        this.#server.closeAllConnections();
      });
    }
    return this.#closed;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const refusal = hostRefusal(req);
    if (refusal !== undefined) {
      // Not recorded, not routed: a rebinding page learns nothing and costs nothing.
      req.resume();
      send(res, refusal);
      return;
    }
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    const method = req.method ?? 'GET';
    const contentType = req.headers['content-type'];
    const body = await readBody(req);
    if (body === undefined) {
      send(res, clientError(413, 'request_too_large', 'Request body too large'));
      return;
    }
    const form = isForm(contentType) ? Object.fromEntries(new URLSearchParams(body)) : {};
    const fault = this.#state.faults.take(url.pathname, form.grant_type, form.client_id);
    this.#log.add({
      method,
      path: url.pathname,
      query: url.search,
      contentType,
      form,
      hasAuthorization: req.headers.authorization !== undefined,
      userAgent: req.headers['user-agent'],
      fault: fault?.kind,
      receivedAt: this.#state.now(),
    });

    if (fault !== undefined) {
      switch (fault.kind) {
        case 'hang':
          return; // close() ends the connection
        case 'reset':
          req.socket.resetAndDestroy();
          return;
        case 'delay':
          await this.#sleep(fault.ms);
          if (this.#closed !== undefined) return;
          break;
        default:
          send(res, faultAnswer(fault, this.#state.settings.tokenLifetimeSeconds));
          return;
      }
    }
    const headers = req.headers;
    send(res, route(this.#state, { method, path: url.pathname, contentType, form, headers }));
  }

  /** Waits `ms`; close() cancels the wait (the request then goes unanswered). */
  #sleep(ms: number): Promise<void> {
    return new Promise<void>((done) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        done();
      }, ms);
      this.#timers.add(timer);
    });
  }
}

/**
 * The local broker's DNS-rebinding guard (local/host-guard.ts), applied to the simulator: it
 * listens on loopback, so a request naming another host, or sent by a browser page of another
 * origin, can only come from a page that rebound its name to 127.0.0.1. Refused with 403.
 */
function hostRefusal(req: IncomingMessage): SimAnswer | undefined {
  const origin = req.headers.origin;
  if (!isLoopbackHost(req.headers.host)) {
    return clientError(
      403,
      'forbidden',
      'The Box simulator answers only requests addressed to a loopback host.',
    );
  }
  if (!isLoopbackOrigin(Array.isArray(origin) ? origin[0] : origin)) {
    return clientError(
      403,
      'forbidden',
      'The Box simulator does not answer web pages from other origins.',
    );
  }
  return undefined;
}

function send(res: ServerResponse, answer: SimAnswer): void {
  res.writeHead(answer.status, answer.headers);
  res.end(answer.body);
}
