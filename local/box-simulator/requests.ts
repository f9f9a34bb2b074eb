/**
 * Reading what a request sent: its body (bounded), whether it is a form, and the record the
 * simulator keeps of it.
 */
import type { IncomingMessage } from 'node:http';
import type { BoxFault } from './faults.js';

/** A request the simulator received. Held in memory only; it may contain secrets and tokens. */
export interface RecordedRequest {
  method: string;
  path: string;
  /** Raw query string, including the `?`, or ''. */
  query: string;
  contentType: string | undefined;
  /** Parsed url-encoded body; empty unless the body was `application/x-www-form-urlencoded`. */
  form: Readonly<Record<string, string>>;
  /** Whether an `Authorization` header was sent (its value is not kept). */
  hasAuthorization: boolean;
  /** The `User-Agent` header, when sent. */
  userAgent: string | undefined;
  /** The fault that answered it, if any. */
  fault: BoxFault['kind'] | undefined;
  receivedAt: number;
}

const MAX_BODY_BYTES = 64 * 1024;

/** Whether the `Content-Type` is a url-encoded form (parameters ignored). */
export function isForm(contentType: string | undefined): boolean {
  return contentType?.split(';')[0]?.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

/** The whole body as text, or `undefined` when it exceeds 64 KiB. */
export function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => done(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString()));
    req.on('error', fail);
  });
}

/** Longest form value kept in the log; longer ones are cut (a 64 KiB body must not stay whole). */
const MAX_RECORDED_VALUE_CHARS = 1024;

/** The default of {@link BoxSimulatorOptions.requestLogLimit}. */
export const DEFAULT_REQUEST_LOG_LIMIT = 1000;

/**
 * The requests the simulator received: the last `limit` of them (each form value cut to 1 KiB),
 * so a long run or a flood of large requests holds bounded memory, plus counts per path and per
 * `grant_type` that never forget (tests count Box calls over any number of requests).
 */
export class RequestLog {
  #entries: RecordedRequest[] = [];
  readonly #counts = new Map<string, number>();
  readonly #limit: number;

  constructor(limit = DEFAULT_REQUEST_LOG_LIMIT) {
    this.#limit = Math.max(1, Math.floor(limit));
  }

  /** Records one request, dropping the oldest beyond the limit. */
  add(request: RecordedRequest): void {
    const form: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const [key, value] of Object.entries(request.form)) {
      form[key] =
        value.length > MAX_RECORDED_VALUE_CHARS ? value.slice(0, MAX_RECORDED_VALUE_CHARS) : value;
    }
    this.#entries.push({ ...request, form });
    if (this.#entries.length > this.#limit)
      this.#entries.splice(0, this.#entries.length - this.#limit);
    this.#count(request.path);
    if (request.form.grant_type !== undefined) {
      this.#count(`${request.path}|${request.form.grant_type}`);
    }
  }

  /** The kept requests, oldest first. */
  get entries(): readonly RecordedRequest[] {
    return this.#entries;
  }

  /** Requests to `path` ever received, optionally only those with this `grant_type`. */
  count(path: string, grantType?: string): number {
    return this.#counts.get(grantType === undefined ? path : `${path}|${grantType}`) ?? 0;
  }

  /** Forgets the kept requests and the counts. */
  clear(): void {
    this.#entries = [];
    this.#counts.clear();
  }

  #count(key: string): void {
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
  }
}
