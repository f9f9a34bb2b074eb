import type { BoxSubjectType, TokenRequest } from '../lambda/contract.js';
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
  return request;
}

/**
 * The cache identity of a request: everything but `min_ttl` (a cached token with enough life
 * serves any `min_ttl`), with scopes in a stable order.
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
