import { ERROR_CODES, type ErrorCode } from '../lambda/contract.js';

/**
 * Failures that happen before or around the broker rather than inside it: API Gateway refusing
 * the request, the network, the caller's own AWS credentials, or a bad argument.
 */
export const CLIENT_ERROR_CODES = {
  /** API Gateway refused the call (403): unsigned, badly signed, or IAM / resource policy denied. */
  not_authorized: { retryable: false },
  /** API Gateway throttled the call (429). */
  throttled: { retryable: true },
  /** API Gateway failed without reaching the broker (5xx with its own `{"message"}` body). */
  gateway_error: { retryable: true },
  /** An answer that is not the contract's (HTML, an unknown code, a malformed token). */
  unexpected_response: { retryable: false },
  /** The broker could not be reached (DNS, connection refused, reset). */
  network_error: { retryable: true },
  /** The broker did not answer within the client's timeout. */
  timeout: { retryable: true },
  /** The default AWS credential chain found no credentials to sign with. */
  aws_credentials_unavailable: { retryable: false },
  /** The call itself is wrong (missing URL, bad option); fix the code or the command line. */
  invalid_argument: { retryable: false },
} as const satisfies Record<string, { retryable: boolean }>;

/** A failure detected by the client rather than reported by the broker. */
export type ClientErrorCode = keyof typeof CLIENT_ERROR_CODES;

/** Every code a {@link BrokerClientError} can carry: the broker's contract codes and the client's. */
export type BrokerClientErrorCode = ErrorCode | ClientErrorCode;

export interface BrokerClientErrorOptions {
  /** Overrides the code's default retry advice (the broker's `retryable` field wins). */
  retryable?: boolean;
  /** Seconds from the `Retry-After` header, when the answer carried one. */
  retryAfterSeconds?: number;
  /** HTTP status of the answer, when there was one. */
  status?: number;
  /** The broker's `request_id` (or API Gateway's request ID), for support. */
  requestId?: string;
  cause?: unknown;
}

/**
 * The one error the client throws. `code` is stable: branch on it (or on `retryable`), never on
 * the message. Messages never contain a token, a secret or an Authorization header.
 */
export class BrokerClientError extends Error {
  readonly code: BrokerClientErrorCode;
  readonly retryable: boolean;
  readonly retryAfterSeconds: number | undefined;
  readonly status: number | undefined;
  readonly requestId: string | undefined;

  constructor(
    code: BrokerClientErrorCode,
    message: string,
    options: BrokerClientErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BrokerClientError';
    this.code = code;
    this.retryable = options.retryable ?? defaultRetryable(code);
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.status = options.status;
    this.requestId = options.requestId;
  }
}

/** Whether `code` is one of the broker's contract codes. */
export function isContractCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CODES, code);
}

function defaultRetryable(code: BrokerClientErrorCode): boolean {
  return isContractCode(code)
    ? ERROR_CODES[code].retryable
    : CLIENT_ERROR_CODES[code as ClientErrorCode].retryable;
}
