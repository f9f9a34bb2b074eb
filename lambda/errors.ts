import { ERROR_CODES, type ErrorCode } from './contract.js';

interface BrokerErrorOptions {
  /** The underlying failure; kept for the log, never sent to a caller. */
  cause?: unknown;
  /** Seconds after which a retry may succeed; becomes the `Retry-After` header. */
  retryAfterSeconds?: number;
}

/**
 * The one error hierarchy of the broker. `code` is the stable contract code; `message` is the
 * `error_description` a caller sees, so it must never carry a secret, a token, an upstream body,
 * or any ARN but the caller's own. Status and retry advice derive from the code, in one place: the contract.
 */
export class BrokerError extends Error {
  readonly code: ErrorCode;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, options: BrokerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BrokerError';
    this.code = code;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  get retryable(): boolean {
    return ERROR_CODES[this.code].retryable;
  }
}

/** 400: malformed JSON, unknown field, bad type or format. */
export class InvalidRequestError extends BrokerError {
  constructor(message: string) {
    super('invalid_request', message);
    this.name = 'InvalidRequestError';
  }
}

/** 400: a scope Box does not define. */
export class InvalidScopeError extends BrokerError {
  constructor(message: string) {
    super('invalid_scope', message);
    this.name = 'InvalidScopeError';
  }
}

/**
 * 400 `invalid_scope`: Box refused a token exchange to scopes the broker knows (`401`, or
 * `invalid_scope`). Either the app does not hold them, or the parent token predates the admin's
 * re-authorisation that granted them (Box: "request a new token" after re-authorising; see
 * docs/box.md). The broker drops that parent and tries once more with a fresh one.
 */
export class BoxScopeRefusedError extends InvalidScopeError {
  constructor(message: string) {
    super(message);
    this.name = 'BoxScopeRefusedError';
  }
}

/** 403: the access policy refuses this caller this subject, scope or resource. */
export class AccessDeniedError extends BrokerError {
  readonly ruleId: string | undefined;

  constructor(message: string, ruleId?: string) {
    super('access_denied', message);
    this.name = 'AccessDeniedError';
    this.ruleId = ruleId;
  }
}

/**
 * 404: the caller may use this tenant, but no tenant of that ID is registered (its secret does not
 * exist or is scheduled for deletion). Says nothing of the secret's name: that is configuration.
 */
export class TenantNotFoundError extends BrokerError {
  readonly tenant: string;

  constructor(tenant: string, options: BrokerErrorOptions = {}) {
    super('tenant_not_found', `No tenant "${tenant}" is registered with this broker.`, options);
    this.name = 'TenantNotFoundError';
    this.tenant = tenant;
  }
}

/**
 * 403 `tenant_suspended` (contract v1.2): the caller is admitted to the tenant, but an operator
 * suspended it fleet-wide. Not retryable: only `tenant resume` lifts it.
 */
export class TenantSuspendedError extends BrokerError {
  readonly tenant: string;

  constructor(tenant: string) {
    super(
      'tenant_suspended',
      `Tenant "${tenant}" is suspended by the broker's operator; its tokens are not served.`,
    );
    this.name = 'TenantSuspendedError';
    this.tenant = tenant;
  }
}

/** 404 / 405: a route the broker does not serve (local server and proxy integrations). */
export class RouteError extends BrokerError {
  constructor(
    code: 'not_found' | 'method_not_allowed',
    message: string,
    /** For 405: the methods the route accepts (the `Allow` header, RFC 9110 §15.5.6). */
    readonly allow: readonly string[] = [],
  ) {
    super(code, message);
    this.name = 'RouteError';
  }
}

/** 500: the deployment is wrong (secret, environment); the message names what to fix. */
export class MisconfiguredError extends BrokerError {
  constructor(message: string, options: BrokerErrorOptions = {}) {
    super('misconfigured', message, options);
    this.name = 'MisconfiguredError';
  }
}

/** 503: Secrets Manager throttled or failed; the deployment itself is fine. */
export class CredentialsUnavailableError extends BrokerError {
  constructor(message: string, options: BrokerErrorOptions = {}) {
    super('credentials_unavailable', message, options);
    this.name = 'CredentialsUnavailableError';
  }
}

/** 502: Box refused the client credentials or the subject. Carries Box's own code. */
export class BoxCredentialsRejectedError extends BrokerError {
  readonly boxError: string;
  readonly boxErrorDescription: string;

  constructor(boxError: string, boxErrorDescription: string, hint: string) {
    super(
      'box_credentials_rejected',
      `Box rejected the credentials: ${boxError} (${boxErrorDescription}). ${hint}`,
    );
    this.name = 'BoxCredentialsRejectedError';
    this.boxError = boxError;
    this.boxErrorDescription = boxErrorDescription;
  }
}

/** 502: Box answered, but not with something the broker can use. */
export class BoxBadResponseError extends BrokerError {
  constructor(message: string, options: BrokerErrorOptions = {}) {
    super('box_bad_response', message, options);
    this.name = 'BoxBadResponseError';
  }
}

/**
 * 502 `box_bad_response`, but not retryable: Box answered a token exchange with a token provably
 * wider than asked (a scope or an item not requested). Box answers the same request the same way,
 * so a retry cannot help; the code stays `box_bad_response` (docs/api.md "Contract changes").
 */
export class BoxDownscopeMismatchError extends BoxBadResponseError {
  constructor(message: string) {
    super(message);
    this.name = 'BoxDownscopeMismatchError';
  }

  override get retryable(): boolean {
    return false;
  }
}

/**
 * 502: Box refused the token being downscoped (expired or revoked at Box). The broker drops that
 * parent token and tries once more with a new one.
 */
export class BoxSubjectTokenRejectedError extends BoxBadResponseError {
  constructor(message: string) {
    super(message);
    this.name = 'BoxSubjectTokenRejectedError';
  }
}

/** 503: Box throttled, failed or was unreachable, and the request's deadline allows no retry. */
export class BoxUnavailableError extends BrokerError {
  constructor(message: string, options: BrokerErrorOptions = {}) {
    super('box_unavailable', message, options);
    this.name = 'BoxUnavailableError';
  }
}

/** 504: Box did not answer before the request's deadline. */
export class BoxTimeoutError extends BrokerError {
  constructor(message: string, options: BrokerErrorOptions = {}) {
    super('box_timeout', message, options);
    this.name = 'BoxTimeoutError';
  }
}

/** 404 `invitation_not_found`: one answer for an unknown, expired or used onboarding code. */
export class InvitationNotFoundError extends BrokerError {
  constructor() {
    super(
      'invitation_not_found',
      'This onboarding link is not valid: it is unknown, expired or already used. Ask for a new one.',
    );
    this.name = 'InvitationNotFoundError';
  }
}

/** 429 `rate_limited`: too many attempts; `Retry-After` says when the window ends. */
export class RateLimitedError extends BrokerError {
  constructor(message: string, retryAfterSeconds: number) {
    super('rate_limited', message, { retryAfterSeconds });
    this.name = 'RateLimitedError';
  }
}

const GENERIC_SERVER_ERROR = 'The broker failed unexpectedly; the details are in its log.';

/**
 * Reduces anything thrown to a BrokerError a caller may see. Unknown errors become a generic
 * `server_error` whose text says nothing about the cause (the cause stays attached for the log).
 */
export function toBrokerError(error: unknown): BrokerError {
  if (error instanceof BrokerError) return error;
  if (isAbort(error)) {
    // Defence in depth: the request's deadline (an AbortSignal) fired and no layer below turned
    // its abort into a BrokerError. It is still a timeout, and retrying can help.
    return new BoxTimeoutError('The broker ran out of time for this request; retry shortly.', {
      cause: error,
      retryAfterSeconds: 1,
    });
  }
  return new BrokerError('server_error', GENERIC_SERVER_ERROR, { cause: error });
}

/** The rejection of an aborted signal (`AbortSignal.timeout` fires a `TimeoutError`). */
function isAbort(error: unknown): boolean {
  return (
    (error instanceof DOMException || error instanceof Error) &&
    (error.name === 'TimeoutError' || error.name === 'AbortError')
  );
}
