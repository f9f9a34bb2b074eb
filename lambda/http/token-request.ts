import type { BoxItemRef, ParsedTokenRequest } from '../broker/types.js';
import {
  BOX_DOWNSCOPE_SCOPES,
  type BoxSubjectType,
  TENANT_ID_PATTERN,
  TOKEN_REQUEST_FIELDS,
  type TokenRequest,
} from '../contract.js';
import { InvalidRequestError, InvalidScopeError } from '../errors.js';

/**
 * Contract v1.1: a day. Box's tokens live a little over an hour (about 4,100 s); whether Box can
 * meet a `min_ttl` is Box's to say (a fresh token too short is a 400 naming what Box grants), so
 * the bound only refuses the absurd.
 */
export const MAX_MIN_TTL_SECONDS = 86_400;

const KNOWN_SCOPES: ReadonlySet<string> = new Set(BOX_DOWNSCOPE_SCOPES);
const KNOWN_FIELDS: ReadonlySet<string> = new Set(TOKEN_REQUEST_FIELDS);
const DIGITS = /^\d{1,20}$/;
const RESOURCE_URL = /^https:\/\/api\.box\.com\/2\.0\/(files|folders)\/(\d{1,20})$/;
const MAX_FIELD_LENGTH = 2048;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Where the request's values came from: JSON keeps types, a query string has only strings. */
export type RequestOrigin = 'json' | 'query';

/**
 * Validates a token request (a parsed JSON body, a query-string map, or a direct-invocation
 * event). Every problem is a 400 naming the field; nothing here can produce a 5xx.
 */
export function parseTokenRequest(input: unknown, origin: RequestOrigin): ParsedTokenRequest {
  if (input === null || input === undefined)
    return { subjectType: 'enterprise', scopes: [], minTtlSeconds: 0 };
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw new InvalidRequestError('The token request must be a JSON object.');
  }
  const fields = input as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!KNOWN_FIELDS.has(key)) {
      throw new InvalidRequestError(
        `Unknown field "${printable(key)}"; allowed: ${TOKEN_REQUEST_FIELDS.join(', ')}.`,
      );
    }
  }
  const request = fields as Record<keyof TokenRequest, unknown>;

  const subjectType = parseSubjectType(request.box_subject_type);
  const subjectId = optionalString(request.box_subject_id, 'box_subject_id');
  if (subjectId !== undefined && !DIGITS.test(subjectId)) {
    throw new InvalidRequestError('box_subject_id must be a Box ID: digits only.');
  }
  if (subjectType === 'user' && subjectId === undefined) {
    throw new InvalidRequestError('box_subject_id is required when box_subject_type is "user".');
  }

  const scopes = parseScopes(optionalString(request.scope, 'scope'));
  const resourceUrl = optionalString(request.resource, 'resource');
  const sharedLink = optionalString(request.box_shared_link, 'box_shared_link');
  if ((resourceUrl !== undefined || sharedLink !== undefined) && scopes.length === 0) {
    throw new InvalidRequestError(
      'resource and box_shared_link restrict a downscoped token: they need scope.',
    );
  }
  if (resourceUrl !== undefined && sharedLink !== undefined) {
    throw new InvalidRequestError('Give resource or box_shared_link, not both.');
  }

  const parsed: ParsedTokenRequest = {
    subjectType,
    scopes,
    minTtlSeconds: parseMinTtl(request.min_ttl, origin),
  };
  if (subjectId !== undefined) parsed.subjectId = subjectId;
  if (resourceUrl !== undefined) parsed.resource = parseResource(resourceUrl);
  if (sharedLink !== undefined) parsed.sharedLink = parseSharedLink(sharedLink);
  const deadToken = optionalString(request.dead_token_sha256, 'dead_token_sha256');
  if (deadToken !== undefined) {
    if (!SHA256_HEX.test(deadToken)) {
      throw new InvalidRequestError(
        'dead_token_sha256 must be a SHA-256 as 64 lowercase hex digits.',
      );
    }
    parsed.deadTokenSha256 = deadToken;
  }
  const tenant = parseTenant(request.tenant);
  if (tenant !== undefined) parsed.tenant = tenant;
  return parsed;
}

/**
 * Contract v1.1 `tenant`: a tenant ID or `default`; absent = the default tenant. Shared by every
 * route that names a tenant (token, revoke, health), whatever the request's origin.
 */
export function parseTenant(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !TENANT_ID_PATTERN.test(value)) {
    throw new InvalidRequestError(
      'tenant must be a tenant ID: 1 to 64 lowercase letters, digits and inner hyphens.',
    );
  }
  return value;
}

function parseSubjectType(value: unknown): BoxSubjectType {
  if (value === undefined) return 'enterprise';
  if (value === 'enterprise' || value === 'user') return value;
  throw new InvalidRequestError('box_subject_type must be "enterprise" or "user".');
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new InvalidRequestError(`${field} must be a string.`);
  if (value.length > MAX_FIELD_LENGTH) {
    throw new InvalidRequestError(`${field} is longer than ${MAX_FIELD_LENGTH} characters.`);
  }
  return value;
}

function parseScopes(scope: string | undefined): readonly string[] {
  if (scope === undefined) return [];
  const names = scope.split(' ').filter((name) => name !== '');
  if (names.length === 0) {
    throw new InvalidRequestError('scope must name at least one Box scope (space-delimited).');
  }
  for (const name of names) {
    if (!KNOWN_SCOPES.has(name)) {
      throw new InvalidScopeError(
        `"${printable(name)}" is not a Box scope that can be downscoped to.`,
      );
    }
  }
  return [...new Set(names)].sort();
}

function parseResource(url: string): BoxItemRef {
  const match = RESOURCE_URL.exec(url);
  if (match === null) {
    throw new InvalidRequestError(
      'resource must be https://api.box.com/2.0/files/{id} or https://api.box.com/2.0/folders/{id}.',
    );
  }
  const type = match[1] === 'files' ? 'file' : 'folder';
  return { type, id: match[2] ?? '', url };
}

function parseSharedLink(link: string): string {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    throw new InvalidRequestError('box_shared_link must be a Box shared link URL.');
  }
  const boxHost = url.hostname === 'box.com' || url.hostname.endsWith('.box.com');
  if (url.protocol !== 'https:' || !boxHost) {
    throw new InvalidRequestError('box_shared_link must be an https link on box.com.');
  }
  return link;
}

function parseMinTtl(value: unknown, origin: RequestOrigin): number {
  if (value === undefined) return 0;
  let seconds: number;
  if (origin === 'query' && typeof value === 'string' && /^\d{1,6}$/.test(value)) {
    seconds = Number(value);
  } else if (typeof value === 'number' && origin === 'json') {
    seconds = value;
  } else {
    throw new InvalidRequestError('min_ttl must be a whole number of seconds.');
  }
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_MIN_TTL_SECONDS) {
    throw new InvalidRequestError(
      `min_ttl must be a whole number of seconds from 0 to ${MAX_MIN_TTL_SECONDS}.`,
    );
  }
  return seconds;
}

/** Echo a caller-supplied name safely: bounded, printable ASCII only. */
export function printable(text: string): string {
  return text.slice(0, 64).replace(/[^\x20-\x7e]/g, '?');
}
