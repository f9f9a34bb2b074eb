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
