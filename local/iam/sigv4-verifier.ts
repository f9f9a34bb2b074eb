/**
 * Local IAM emulation: verifies AWS Signature Version 4 (service `execute-api`) on requests to
 * the local broker the way API Gateway's `AWS_IAM` authorization does, against access keys
 * configured for local use, each mapped to an IAM principal. A request that is unsigned or badly
 * signed gets API Gateway's 403 answer and never reaches the handler; a good one reaches it with
 * the key's principal as `requestContext.identity`, so access policies work end to end.
 *
 * The algorithm itself is in `sigv4-signing.ts`, the keys in `local-iam-keys.ts`, the local
 * server's hook in `sigv4-authenticator.ts`.
 *
 * Not emulated: resource policies and IAM policies (every configured key may call every route),
 * presigned query-string authentication, and SigV4a.
 */
import { timingSafeEqual } from 'node:crypto';
import type { LocalIdentity } from '../api-gateway-adapter.js';
import type { LocalIamKey } from './local-iam-keys.js';
import {
  canonicalRequest,
  headerValues,
  SIGV4_ALGORITHM,
  sha256,
  sha256Hex,
  signature,
  stringToSign,
} from './sigv4-signing.js';

/** A request as the verifier needs it: node's `IncomingMessage` fits. */
export interface SignedRequest {
  method?: string | undefined;
  /** Path and query exactly as they came on the request line. */
  url?: string | undefined;
  /** Header names and values, alternating, as received (duplicates kept). */
  rawHeaders: readonly string[];
}

export interface SigV4VerifierOptions {
  keys: readonly LocalIamKey[];
  /** Service the credential scope must name. @default 'execute-api' */
  service?: string;
  /** Region the credential scope must name; any region when unset (a laptop has none). */
  region?: string;
  /** Largest difference between the request's date and the clock. @default 15 minutes */
  maxSkewMs?: number;
  /** Epoch-millisecond clock. @default Date.now */
  now?: () => number;
}

/** What verification decided. */
export type VerifyResult =
  | { ok: true; identity: LocalIdentity; accessKeyId: string }
  | { ok: false; errorType: string; message: string };

const DEFAULT_SERVICE = 'execute-api';
const DEFAULT_MAX_SKEW_MS = 15 * 60 * 1000;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const SIGNATURE_HEX = /^[0-9a-f]{64}$/;

/** API Gateway's own answers for IAM authorization failures (status 403, JSON `message`). */
export const API_GATEWAY_MESSAGES = {
  missingToken: 'Missing Authentication Token',
  signatureMismatch:
    'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
  invalidToken: 'The security token included in the request is invalid.',
} as const;

/**
 * Verifies SigV4-signed requests against a fixed set of local keys.
 *
 * @example
 * const verifier = new SigV4Verifier({ keys: loadLocalIamKeys(process.env) ?? [] });
 * await startLocalBroker({ authenticate: sigV4Authenticator(verifier) });
 */
export class SigV4Verifier {
  readonly #keys: ReadonlyMap<string, LocalIamKey>;
  readonly #service: string;
  readonly #region: string | undefined;
  readonly #maxSkewMs: number;
  readonly #now: () => number;

  constructor(options: SigV4VerifierOptions) {
    this.#keys = new Map(options.keys.map((key) => [key.accessKeyId, key]));
    this.#service = options.service ?? DEFAULT_SERVICE;
    this.#region = options.region;
    this.#maxSkewMs = options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
    this.#now = options.now ?? Date.now;
  }

  /** Number of keys configured. */
  get keyCount(): number {
    return this.#keys.size;
  }

  /** Checks the request's `Authorization` header against its method, path, query, headers and body. */
  verify(request: SignedRequest, body: string | Uint8Array): VerifyResult {
    const headers = headerValues(request.rawHeaders);
    const authorization = headers.get('authorization');
    if (authorization === undefined || authorization.trim() === '') {
      return fail('MissingAuthenticationTokenException', API_GATEWAY_MESSAGES.missingToken);
    }
    const parsed = parseAuthorization(authorization);
    if (typeof parsed === 'string') return fail('IncompleteSignatureException', parsed);

    const scope = parsed.credential.split('/');
    if (scope.length !== 5 || scope[4] !== 'aws4_request') {
      return fail(
        'IncompleteSignatureException',
        'Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/aws4_request.',
      );
    }
    const [accessKeyId = '', scopeDate = '', scopeRegion = '', scopeService = ''] = scope;
    if (scopeService !== this.#service) {
      return fail(
        'InvalidSignatureException',
        `Credential should be scoped to correct service: '${this.#service}'.`,
      );
    }
    if (this.#region !== undefined && scopeRegion !== this.#region) {
      return fail('InvalidSignatureException', 'Credential should be scoped to a valid region.');
    }

    const signedHeaders = parsed.signedHeaders.split(';');
    if (!signedHeaders.includes('host')) {
      return fail(
        'InvalidSignatureException',
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
      );
    }
    const requestDate = requestTimestamp(headers);
    if (requestDate === undefined) {
      return fail(
        'IncompleteSignatureException',
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
      );
    }
    if (!signedHeaders.includes(requestDate.header)) {
      return fail(
        'InvalidSignatureException',
        `'${requestDate.header}' must be a 'SignedHeader' in the AWS Authorization.`,
      );
    }
    const skew = this.#checkSkew(requestDate.ms, requestDate.amzDate);
    if (skew !== undefined) return fail('InvalidSignatureException', skew);
    if (scopeDate !== requestDate.amzDate.slice(0, 8)) {
      return fail(
        'InvalidSignatureException',
        `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate.slice(0, 8)}' != '${requestDate.amzDate.slice(0, 8)}'.`,
      );
    }

    const key = this.#keys.get(accessKeyId);
    const sessionToken = headers.get('x-amz-security-token');
    if (key === undefined || !sameSessionToken(key.sessionToken, sessionToken)) {
      return fail('UnrecognizedClientException', API_GATEWAY_MESSAGES.invalidToken);
    }
    // A token outside the signature could be swapped for another without breaking it.
    if (sessionToken !== undefined && !signedHeaders.includes('x-amz-security-token')) {
      return fail('InvalidSignatureException', API_GATEWAY_MESSAGES.signatureMismatch);
    }

    // The body is hashed here, never taken from x-amz-content-sha256: a changed body must
    // change the signature whatever the headers claim.
    const payloadHash = sha256Hex(body);
    const canonical = canonicalRequest({
      method: request.method ?? 'GET',
      url: request.url ?? '/',
      headers,
      signedHeaders,
      payloadHash,
    });
    const expected = signature(
      key.secretAccessKey,
      { date: scopeDate, region: scopeRegion, service: scopeService },
      stringToSign(requestDate.amzDate, parsed.credential.slice(accessKeyId.length + 1), canonical),
    );
    if (!sameSignature(expected, parsed.signature)) {
      return fail('InvalidSignatureException', API_GATEWAY_MESSAGES.signatureMismatch);
    }
    const identity: LocalIdentity = { userArn: key.arn, accountId: key.accountId };
    if (key.principalOrgId !== undefined) identity.principalOrgId = key.principalOrgId;
    return { ok: true, identity, accessKeyId };
  }

  #checkSkew(requestMs: number, amzDate: string): string | undefined {
    const now = this.#now();
    const window = Math.round(this.#maxSkewMs / 60_000);
    if (requestMs < now - this.#maxSkewMs) {
      return `Signature expired: ${amzDate} is now earlier than ${toAmzDate(now - this.#maxSkewMs)} (${toAmzDate(now)} - ${window} min.)`;
    }
    if (requestMs > now + this.#maxSkewMs) {
      return `Signature not yet current: ${amzDate} is still later than ${toAmzDate(now + this.#maxSkewMs)} (${toAmzDate(now)} + ${window} min.)`;
    }
    return undefined;
  }
}

interface ParsedAuthorization {
  credential: string;
  signedHeaders: string;
  signature: string;
}

function parseAuthorization(header: string): ParsedAuthorization | string {
  const trimmed = header.trim();
  const requirement =
    "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.";
  if (!trimmed.startsWith(`${SIGV4_ALGORITHM} `)) {
    return `Only the ${SIGV4_ALGORITHM} authorization scheme is supported. ${requirement}`;
  }
  const fields = new Map<string, string>();
  for (const part of trimmed.slice(SIGV4_ALGORITHM.length + 1).split(',')) {
    const equals = part.indexOf('=');
    if (equals === -1) continue;
    fields.set(part.slice(0, equals).trim(), part.slice(equals + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const value = fields.get('Signature');
  if (!credential || !signedHeaders || !value) return requirement;
  return { credential, signedHeaders, signature: value };
}

function requestTimestamp(
  headers: ReadonlyMap<string, string>,
): { header: string; amzDate: string; ms: number } | undefined {
  const amz = headers.get('x-amz-date');
  if (amz !== undefined) {
    const match = AMZ_DATE.exec(amz);
    if (match === null) return undefined;
    const [, y, mo, d, h, mi, s] = match.map(Number);
    const ms = Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 0, h ?? 0, mi ?? 0, s ?? 0);
    return { header: 'x-amz-date', amzDate: amz, ms };
  }
  const date = headers.get('date');
  const ms = date === undefined ? Number.NaN : Date.parse(date);
  if (Number.isNaN(ms)) return undefined;
  return { header: 'date', amzDate: toAmzDate(ms), ms };
}

function toAmzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

function sameSignature(expectedHex: string, givenHex: string): boolean {
  if (!SIGNATURE_HEX.test(givenHex)) return false;
  return timingSafeEqual(Buffer.from(expectedHex, 'hex'), Buffer.from(givenHex, 'hex'));
}

function sameSessionToken(expected: string | undefined, given: string | undefined): boolean {
  if (expected === undefined || given === undefined) return expected === given;
  // Compare digests so the comparison takes the same time whatever the lengths.
  return timingSafeEqual(sha256(expected), sha256(given));
}

function fail(errorType: string, message: string): VerifyResult {
  return { ok: false, errorType, message };
}
