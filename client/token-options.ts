import { createHash } from 'node:crypto';
import { type BoxSubjectType, TENANT_ID_PATTERN, type TokenRequest } from '../lambda/contract.js';
import { BrokerClientError } from './errors.js';

/**
 * Which Box identity the token acts as: `'enterprise'` (the service account, the default),
 * `'user:ID'`, or the object form.
 */
export type SubjectOption =
  | 'enterprise'
  | `user:${string}`
  | { type: 'enterprise'; id?: string }
  | { type: 'user'; id: string };

/** What to ask the broker for; every field is optional (the enterprise token). */
export interface TokenOptions {
  subject?: SubjectOption;
  /** Box scopes for a downscoped token: space-delimited or a list. */
  scope?: string | readonly string[];
  /** `https://api.box.com/2.0/files/{id}` / `.../folders/{id}`, or the shorthand `file:ID` / `folder:ID`. */
  resource?: string;
  /** A Box shared link to restrict a downscoped token to. */
  sharedLink?: string;
  /** Seconds of life the token must still have when returned. */
  minTtl?: number;
  /**
   * The tenant (one Box enterprise's app credentials) to ask for; absent = the deployment's
   * default tenant. 1 to 64 characters of `a-z`, `0-9` and inner `-` (contract v1.1).
   */
  tenant?: string;
  /**
   * A token Box just rejected with 401 for this request. Only its SHA-256 is sent
   * (`dead_token_sha256`, contract v1.1), and the broker then never returns that token, from
   * whichever of its environments answers. The token is also dropped from this client's cache.
   */
  deadToken?: string;
}

const ITEM_SHORTHAND = /^(file|folder):(\d+)$/;

/**
 * The contract's token request for `options`. Only shapes are checked here; the broker remains
 * the judge of values (digits, known scopes, policy), so the client never drifts from it.
 */
export function toTokenRequest(options: TokenOptions = {}): TokenRequest {
  const request: TokenRequest = {};
  if (options.subject !== undefined) {
    const subject = subjectOf(options.subject);
    request.box_subject_type = subject.type;
    if (subject.id !== undefined) request.box_subject_id = subject.id;
  }
  if (options.scope !== undefined) {
    request.scope = typeof options.scope === 'string' ? options.scope : options.scope.join(' ');
  }
  if (options.resource !== undefined) request.resource = resourceUrl(options.resource);
  if (options.sharedLink !== undefined) request.box_shared_link = options.sharedLink;
  if (options.minTtl !== undefined) {
    if (!Number.isInteger(options.minTtl) || options.minTtl < 0) {
      throw new BrokerClientError('invalid_argument', 'minTtl must be a whole number of seconds.');
    }
    request.min_ttl = options.minTtl;
  }
  if (options.tenant !== undefined) {
    if (!TENANT_ID_PATTERN.test(options.tenant)) {
      throw new BrokerClientError(
        'invalid_argument',
        'tenant must be 1 to 64 characters of a-z, 0-9 and inner hyphens.',
      );
    }
    request.tenant = options.tenant;
  }
  if (options.deadToken !== undefined && options.deadToken !== '') {
    request.dead_token_sha256 = tokenSha256(options.deadToken);
  }
  return request;
}

/** The SHA-256 (lowercase hex) of an access token: how a dead token is named to the broker. */
export function tokenSha256(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'utf8').digest('hex');
}

/**
 * The cache identity of a request: everything but `min_ttl` (a cached token with enough life
 * serves any `min_ttl`) and `dead_token_sha256` (it names a token, not a kind of token), with
 * scopes in a stable order. The tenant is part of it: two tenants never share a token.
 */
export function cacheKeyOf(request: TokenRequest): string {
  const scopes = (request.scope ?? '')
    .split(' ')
    .filter((scope) => scope !== '')
    .sort();
  return JSON.stringify([
    request.box_subject_type ?? 'enterprise',
    request.box_subject_id ?? '',
    [...new Set(scopes)].join(' '),
    request.resource ?? '',
    request.box_shared_link ?? '',
    request.tenant ?? '',
  ]);
}

function subjectOf(subject: SubjectOption): { type: BoxSubjectType; id?: string } {
  if (typeof subject !== 'string') return subject;
  if (subject === 'enterprise') return { type: 'enterprise' };
  if (subject.startsWith('user:') && subject.length > 'user:'.length) {
    return { type: 'user', id: subject.slice('user:'.length) };
  }
  throw new BrokerClientError(
    'invalid_argument',
    'subject must be "enterprise", "user:ID" or {type, id}.',
  );
}

function resourceUrl(resource: string): string {
  const shorthand = ITEM_SHORTHAND.exec(resource);
  if (shorthand === null) return resource;
  return `https://api.box.com/2.0/${shorthand[1]}s/${shorthand[2]}`;
}
