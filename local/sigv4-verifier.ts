/**
 * Local IAM emulation: verifies AWS Signature Version 4 (service `execute-api`) on requests to
 * the local broker the way API Gateway's `AWS_IAM` authorization does, against access keys
 * configured for local use, each mapped to an IAM principal. A request that is unsigned or badly
 * signed gets API Gateway's 403 answer and never reaches the handler; a good one reaches it with
 * the key's principal as `requestContext.identity`, so access policies work end to end.
 *
 * The canonical request, string to sign and signing key are built here from the SigV4
 * specification, independently of any signer, so tests can hold signers and verifier against
 * each other and against AWS's published test vectors.
 *
 * Not emulated: resource policies and IAM policies (every configured key may call every route),
 * presigned query-string authentication, and SigV4a.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { APIGatewayProxyResult } from 'aws-lambda';
import type { LocalAuthenticator, LocalIdentity } from './api-gateway-adapter.js';
import { canonicalQueryOf, queryPairsOf, uriEncode } from './query-string.js';

/** One access key the emulation accepts, and the IAM principal it stands for. */
export interface LocalIamKey {
  accessKeyId: string;
  secretAccessKey: string;
  /** When set, requests must carry it as `x-amz-security-token` (temporary credentials). */
  sessionToken?: string;
  /** The principal API Gateway would report, e.g. `arn:aws:iam::111122223333:role/etl-nightly`. */
  arn: string;
  accountId: string;
  /** The caller's AWS Organization, for `org:` rules of the access policy. */
  principalOrgId?: string;
}

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

/** Thrown when BOX_LOCAL_IAM_KEYS / BOX_LOCAL_IAM_KEYS_FILE is unusable; names the variable only. */
export class LocalIamConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalIamConfigError';
  }
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
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

/**
 * The local server's hook: verified requests carry the key's principal, anything else gets
 * API Gateway's 403 (with its `x-amzn-ErrorType` header) without reaching the handler.
 */
export function sigV4Authenticator(verifier: SigV4Verifier): LocalAuthenticator {
  return (request, body) => {
    const result = verifier.verify(request, body);
    if (result.ok) return { identity: result.identity };
    return { reject: gatewayForbidden(result.errorType, result.message) };
  };
}

function gatewayForbidden(errorType: string, message: string): APIGatewayProxyResult {
  return {
    statusCode: 403,
    headers: { 'Content-Type': 'application/json', 'x-amzn-ErrorType': errorType },
    body: JSON.stringify({ message }),
  };
}

// ---- configuration ---------------------------------------------------------------------------

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The local keys from `BOX_LOCAL_IAM_KEYS` (inline JSON) or `BOX_LOCAL_IAM_KEYS_FILE` (a path to
 * the same JSON): `[{"accessKeyId", "secretAccessKey", "arn", "accountId", "principalOrgId"?,
 * "sessionToken"?}]`. `undefined` when neither is set (local mode stays open).
 */
export function loadLocalIamKeys(env: Env = process.env): LocalIamKey[] | undefined {
  const inline = env.BOX_LOCAL_IAM_KEYS?.trim();
  const file = env.BOX_LOCAL_IAM_KEYS_FILE?.trim();
  if (inline && file) {
    throw new LocalIamConfigError(
      'Set only one of the environment variables BOX_LOCAL_IAM_KEYS and BOX_LOCAL_IAM_KEYS_FILE.',
    );
  }
  if (inline) return parseLocalIamKeys(inline, 'BOX_LOCAL_IAM_KEYS');
  if (!file) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new LocalIamConfigError(
      `Cannot read the file named by BOX_LOCAL_IAM_KEYS_FILE (${code}).`,
    );
  }
  return parseLocalIamKeys(text, 'BOX_LOCAL_IAM_KEYS_FILE');
}

/** Validates the key list; messages name the variable and the entry, never a secret. */
export function parseLocalIamKeys(json: string, variable: string): LocalIamKey[] {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new LocalIamConfigError(`${variable} is not valid JSON.`);
  }
  if (!Array.isArray(value) || value.length === 0) {
    throw new LocalIamConfigError(`${variable} must be a non-empty JSON array of keys.`);
  }
  const seen = new Set<string>();
  return value.map((entry: unknown, index) => {
    const where = `${variable}[${index}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new LocalIamConfigError(`${where} must be an object.`);
    }
    const fields = entry as Record<string, unknown>;
    const text = (name: string, required: boolean): string | undefined => {
      const field = fields[name];
      if (field === undefined && !required) return undefined;
      if (typeof field !== 'string' || field === '') {
        throw new LocalIamConfigError(`${where}.${name} must be a non-empty string.`);
      }
      return field;
    };
    const key: LocalIamKey = {
      accessKeyId: text('accessKeyId', true) ?? '',
      secretAccessKey: text('secretAccessKey', true) ?? '',
      arn: text('arn', true) ?? '',
      accountId: text('accountId', true) ?? '',
    };
    if (!/^arn:aws[a-z-]*:(iam|sts)::\d{12}:.+/.test(key.arn)) {
      throw new LocalIamConfigError(`${where}.arn must be an IAM or STS principal ARN.`);
    }
    if (!/^\d{12}$/.test(key.accountId)) {
      throw new LocalIamConfigError(`${where}.accountId must be a 12-digit AWS account ID.`);
    }
    const orgId = text('principalOrgId', false);
    if (orgId !== undefined) key.principalOrgId = orgId;
    const sessionToken = text('sessionToken', false);
    if (sessionToken !== undefined) key.sessionToken = sessionToken;
    if (seen.has(key.accessKeyId)) {
      throw new LocalIamConfigError(`${where}.accessKeyId repeats an earlier entry.`);
    }
    seen.add(key.accessKeyId);
    return key;
  });
}

// ---- the SigV4 algorithm -----------------------------------------------------------------------

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
  return [ALGORITHM, amzDate, scope, sha256Hex(canonical)].join('\n');
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

interface ParsedAuthorization {
  credential: string;
  signedHeaders: string;
  signature: string;
}

function parseAuthorization(header: string): ParsedAuthorization | string {
  const trimmed = header.trim();
  const requirement =
    "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.";
  if (!trimmed.startsWith(`${ALGORITHM} `)) {
    return `Only the ${ALGORITHM} authorization scheme is supported. ${requirement}`;
  }
  const fields = new Map<string, string>();
  for (const part of trimmed.slice(ALGORITHM.length + 1).split(',')) {
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

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function sha256(data: string | Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

function sha256Hex(data: string | Uint8Array): string {
  return sha256(data).toString('hex');
}

function fail(errorType: string, message: string): VerifyResult {
  return { ok: false, errorType, message };
}
