/**
 * The SigV4 algorithm (AWS Signature Version 4), built from the specification independently of
 * any signer, so tests can hold signers and the local verifier against each other and against
 * AWS's published test vectors.
 */
import { createHash, createHmac } from 'node:crypto';
import { canonicalQueryOf, queryPairsOf, uriEncode } from '../query-string.js';

/** The only signing algorithm the emulation accepts. */
export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';

/** Inputs of {@link canonicalRequest}. */
export interface CanonicalRequestInput {
  method: string;
  /** Path and query as on the request line. */
  url: string;
  /** Lower-case header name → canonical value (see {@link headerValues}). */
  headers: ReadonlyMap<string, string>;
  /** Lower-case names, in the order the Authorization header lists them. */
  signedHeaders: readonly string[];
  /** Hex SHA-256 of the body. */
  payloadHash: string;
}

/** SigV4 task 1: the canonical request (non-S3 rules: normalised, double-encoded path). */
export function canonicalRequest(input: CanonicalRequestInput): string {
  const queryStart = input.url.indexOf('?');
  const path = queryStart === -1 ? input.url : input.url.slice(0, queryStart);
  const headerLines = input.signedHeaders.map(
    (name) => `${name}:${input.headers.get(name) ?? ''}\n`,
  );
  return [
    input.method.toUpperCase(),
    canonicalPath(path),
    // The adapter reads the query with the same parse, so what is signed is what the handler sees.
    canonicalQueryOf(queryPairsOf(input.url)),
    headerLines.join(''),
    input.signedHeaders.join(';'),
    input.payloadHash,
  ].join('\n');
}

/** SigV4 task 2: the string to sign. `scope` is `date/region/service/aws4_request`. */
export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return [SIGV4_ALGORITHM, amzDate, scope, sha256Hex(canonical)].join('\n');
}

/** SigV4 task 3: the signing key, an HMAC chain over the scope. */
export function signingKey(
  secretAccessKey: string,
  scope: { date: string; region: string; service: string },
): Buffer {
  const kDate = hmac(`AWS4${secretAccessKey}`, scope.date);
  const kRegion = hmac(kDate, scope.region);
  const kService = hmac(kRegion, scope.service);
  return hmac(kService, 'aws4_request');
}

/** SigV4 task 4: the hex signature. */
export function signature(
  secretAccessKey: string,
  scope: { date: string; region: string; service: string },
  toSign: string,
): string {
  return hmac(signingKey(secretAccessKey, scope), toSign).toString('hex');
}

/**
 * Header values as SigV4 canonicalises them: names lower-cased, each value trimmed with inner
 * runs of spaces collapsed, repeated headers joined with commas in the order received.
 */
export function headerValues(rawHeaders: readonly string[]): Map<string, string> {
  const values = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] ?? '').toLowerCase();
    const value = (rawHeaders[i + 1] ?? '').trim().replace(/ +/g, ' ');
    values.set(name, [...(values.get(name) ?? []), value]);
  }
  return new Map([...values].map(([name, list]) => [name, list.join(',')]));
}

function canonicalPath(rawPath: string): string {
  const segments: string[] = [];
  for (const segment of rawPath.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const trailing = segments.length > 0 && rawPath.endsWith('/') ? '/' : '';
  // The wire path is already percent-encoded once; SigV4 encodes it again (except for S3).
  return `/${segments.map(uriEncode).join('/')}${trailing}`;
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** SHA-256 digest. */
export function sha256(data: string | Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

/** Hex SHA-256, as SigV4 writes hashes. */
export function sha256Hex(data: string | Uint8Array): string {
  return sha256(data).toString('hex');
}
