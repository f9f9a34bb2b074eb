/**
 * The public contract (v1) of box-token-broker: what callers code against.
 *
 * This module has no imports and no side effects so that `client/` can import it without pulling
 * any of the Lambda's runtime into a caller's bundle. Extend it; do not bend it.
 */

/** The Box subject a token acts as. */
export type BoxSubjectType = 'enterprise' | 'user';

/**
 * A token request: the JSON body of `POST /token`, the query of `GET /token`, or the event of a
 * direct Lambda invocation. Every field is optional; an empty request asks for the enterprise
 * service-account token.
 */
export interface TokenRequest {
  /** `enterprise` (default) or `user`. */
  box_subject_type?: BoxSubjectType;
  /** Enterprise ID (must match the secret's) or Box user ID; digits only. */
  box_subject_id?: string;
  /** Space-delimited Box scopes: asks for a downscoped token. */
  scope?: string;
  /** `https://api.box.com/2.0/files/{id}` or `.../folders/{id}`; only with `scope`. */
  resource?: string;
  /** A Box shared link; only with `scope`, never with `resource`. */
  box_shared_link?: string;
  /** Seconds of remaining life the caller needs (0 to 86,400); the broker never returns a token with less. */
  min_ttl?: number;
  /**
   * Contract v1.1: the tenant (one Box app's credentials for one Box enterprise) to mint for;
   * absent or `default` = the deployment's default tenant.
   */
  tenant?: string;
  /**
   * Contract v1.1: SHA-256 (64 lowercase hex) of a token the caller found rejected by Box (a 401).
   * The broker never returns that token: it drops it and mints a new one.
   */
  dead_token_sha256?: string;
}

/**
 * Contract v1.1: a tenant ID, 1 to 64 characters: lowercase letters, digits and inner hyphens.
 * `default` names the deployment's default tenant.
 */
export const TENANT_ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

/** Contract v1.1: the tenant a request names when it names none (the deployment's default secret). */
export const DEFAULT_TENANT = 'default';

/** The fields a token request may carry, in the order docs/api.md documents them. */
export const TOKEN_REQUEST_FIELDS = [
  'box_subject_type',
  'box_subject_id',
  'scope',
  'resource',
  'box_shared_link',
  'min_ttl',
  'tenant',
  'dead_token_sha256',
] as const satisfies readonly (keyof TokenRequest)[];

/** One entry of Box's `restricted_to` (a downscoped token's grants). */
export interface BoxResourceScope {
  scope: string;
  object?: { type: string; id: string; [key: string]: unknown };
}

/**
 * RFC 8693's access-token type URN: the only `subject_token_type` Box accepts in a token exchange.
 */
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/** `issued_token_type` Box returns for a downscoped token (the access-token URN). */
export const DOWNSCOPED_TOKEN_TYPE = ACCESS_TOKEN_TYPE;

/** A successful token response (HTTP 200, or the result of a direct invocation). */
export interface TokenResponse {
  access_token: string;
  token_type: 'bearer';
  /** Remaining lifetime in seconds at the moment of the response. */
  expires_in: number;
  /** Absolute expiry, RFC 3339 UTC. */
  expires_at: string;
  restricted_to: BoxResourceScope[];
  /** Present only for downscoped tokens. */
  issued_token_type?: typeof DOWNSCOPED_TOKEN_TYPE;
  box_subject_type: BoxSubjectType;
  box_subject_id: string;
  /** Contract v1.1: present whenever the request named a tenant. */
  tenant?: string;
}

/** `POST /revoke` body. */
export interface RevokeRequest {
  token: string;
  /** Contract v1.1: the tenant whose Box app issued the token; absent = the default tenant. */
  tenant?: string;
}

/** `POST /revoke` response (HTTP 200). */
export interface RevokeResponse {
  revoked: true;
  /** Contract v1.1: present whenever the request named a tenant. */
  tenant?: string;
}

/** `GET /health` response (HTTP 200). */
export interface HealthResponse {
  status: 'ok';
  /** Whether the Box token behind the check came from the cache. */
  cached: boolean;
  /** Seconds the checked token still has. */
  token_expires_in: number;
  /** Contract v1.1: present whenever the request named a tenant (`GET /health?tenant=`). */
  tenant?: string;
}

/** Every error code the broker can answer with, with its HTTP status and retry advice. */
export const ERROR_CODES = {
  invalid_request: { status: 400, retryable: false },
  invalid_scope: { status: 400, retryable: false },
  access_denied: { status: 403, retryable: false },
  not_found: { status: 404, retryable: false },
  /** Contract v1.1: the caller may use this tenant, but no such tenant is registered. */
  tenant_not_found: { status: 404, retryable: false },
  /**
   * Contract v1.2: the caller is admitted, but an operator suspended the tenant
   * (`box-token-broker tenant suspend`); every environment within `BOX_STATE_SYNC_SECONDS`.
   */
  tenant_suspended: { status: 403, retryable: false },
  method_not_allowed: { status: 405, retryable: false },
  misconfigured: { status: 500, retryable: false },
  /** Extension of v1: Secrets Manager throttled or failed; the deployment itself is fine. */
  credentials_unavailable: { status: 503, retryable: true },
  box_credentials_rejected: { status: 502, retryable: false },
  box_bad_response: { status: 502, retryable: true },
  box_unavailable: { status: 503, retryable: true },
  box_timeout: { status: 504, retryable: true },
  server_error: { status: 500, retryable: false },
  /** Contract v1.3: an onboarding code that is unknown, expired or used (one answer for all). */
  invitation_not_found: { status: 404, retryable: false },
  /** Contract v1.3: more than 10 onboarding attempts with one code in an hour. */
  rate_limited: { status: 429, retryable: true },
  /** Contract v1.3: the invited tenant was registered meanwhile (its secret exists). */
  tenant_exists: { status: 409, retryable: false },
} as const satisfies Record<string, { status: number; retryable: boolean }>;

/** A stable, machine-readable error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The body of every error response. */
export interface ErrorResponse {
  error: ErrorCode;
  error_description: string;
  retryable: boolean;
  request_id: string;
}

/**
 * Scopes Box accepts when downscoping (OpenAPI `ResourceScope` enum, the developer docs'
 * downscoping table, the UI Elements' pages, and the standard scopes the docs allow). Anything else
 * is `invalid_scope`. docs/box.md "Downscoping scopes" lists each scope's source and whether it is
 * documented or only observed:
 *
 * - `item_comment`, `item_task`: the Content Sidebar's feature scopes (documented,
 *   guides/embed/ui-elements/sidebar "Feature Scopes").
 * - `item_execute_integration`, `item_readwrite`: the Open With UI Element's scopes (documented,
 *   guides/embed/ui-elements/open-with "Scopes").
 * - `item_read`: only in the OpenAPI `ResourceScope` enum, not in the guides' table.
 * - `root_readonly` and the other standard scopes: the guides' "standard OAuth scopes are also
 *   supported when downscoping" table; `ai.readwrite` is a standard scope of the scopes guide.
 */
export const BOX_DOWNSCOPE_SCOPES = [
  'annotation_edit',
  'annotation_view_all',
  'annotation_view_self',
  'base_explorer',
  'base_picker',
  'base_preview',
  'base_sidebar',
  'base_upload',
  'item_comment',
  'item_delete',
  'item_download',
  'item_execute_integration',
  'item_preview',
  'item_read',
  'item_readwrite',
  'item_rename',
  'item_share',
  'item_task',
  'item_upload',
  'root_readonly',
  'root_readwrite',
  'ai.readwrite',
  'manage_managed_users',
  'manage_app_users',
  'manage_data_retention',
  'manage_enterprise_properties',
  'manage_groups',
  'manage_webhook',
  'sign_requests.readwrite',
] as const;

/** Routes of the REST API. */
export const ROUTES = {
  token: '/token',
  revoke: '/revoke',
  health: '/health',
} as const;

/**
 * Contract v1.3: the onboarding page (`GET`) and its submit (`POST`). Not a caller route: it is
 * public (no SigV4) when the deployment turns onboarding on, and absent otherwise.
 */
export const ONBOARD_ROUTE = '/onboard';
