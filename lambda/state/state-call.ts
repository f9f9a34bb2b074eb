/**
 * One rule for every call the fleet state makes to DynamoDB or KMS: a short timeout of its own,
 * never past the request's deadline, and any failure (throttled, denied, unreachable, slow, a KMS
 * error) reduced to one {@link StateUnavailableError}, which callers answer by degrading to v1.1
 * behaviour (memory and Box), never with a 5xx.
 */
import type { Deadline } from '../deadline.js';

/**
 * A single DynamoDB or KMS call may take this long. In-region both answer in milliseconds; a
 * call still open after this is a sick dependency, and the request is better served by Box.
 */
export const STATE_CALL_TIMEOUT_MS = 400;

/** Why a state call failed, as the `StateErrors` metric and the log line name it. */
export type StateFailure =
  | 'throttled'
  | 'denied'
  | 'unreachable'
  | 'timeout'
  | 'kms'
  | 'not_found'
  | 'failed';

/** The table or the key could not be used for this call; the request goes on without it. */
export class StateUnavailableError extends Error {
  readonly failure: StateFailure;

  constructor(failure: StateFailure, operation: string, options: { cause?: unknown } = {}) {
    // The message names the operation and the failure, never a key, an item or a value.
    super(`Fleet state ${operation} failed: ${failure}.`, options);
    this.name = 'StateUnavailableError';
    this.failure = failure;
  }
}

const THROTTLED = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'KMSThrottlingException',
  'TooManyRequestsException',
]);
const DENIED = new Set([
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'MissingAuthenticationTokenException',
  'CredentialsProviderError',
]);
const KMS = new Set([
  'DisabledException',
  'KMSInvalidStateException',
  'NotFoundException',
  'KeyUnavailableException',
  'DependencyTimeoutException',
  'KMSInternalException',
  'InvalidKeyUsageException',
]);
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

/** Names a failure of a DynamoDB or KMS call by its error name (never by its message). */
export function stateFailureOf(error: unknown, timedOut: boolean): StateFailure {
  if (timedOut) return 'timeout';
  const name = error instanceof Error ? error.name : '';
  const code = (error as { code?: unknown } | undefined)?.code;
  // Before the name: the SDK calls a reset socket a `TimeoutError` with code `ECONNRESET`.
  if (typeof code === 'string' && UNREACHABLE.has(code)) return 'unreachable';
  if (name === 'AbortError' || name === 'TimeoutError') return 'timeout';
  if (THROTTLED.has(name)) return 'throttled';
  if (DENIED.has(name)) return 'denied';
  if (KMS.has(name)) return 'kms';
  if (name === 'ResourceNotFoundException') return 'not_found';
  return 'failed';
}

/**
 * Runs one call with a signal that aborts after `timeoutMs` or at the request's deadline,
 * whichever comes first. Rejects with StateUnavailableError for any failure `expected` does not
 * claim (e.g. a conditional check, which is an answer, not a failure).
 */
export async function stateCall<T>(
  operation: string,
  deadline: Deadline,
  timeoutMs: number,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const own = AbortSignal.timeout(Math.max(1, timeoutMs));
  const signal = Number.isFinite(deadline.atMs) ? AbortSignal.any([own, deadline.signal]) : own;
  if (signal.aborted) throw new StateUnavailableError('timeout', operation);
  try {
    return await call(signal);
  } catch (error) {
    if (error instanceof StateUnavailableError) throw error;
    throw new StateUnavailableError(stateFailureOf(error, signal.aborted), operation, {
      cause: error,
    });
  }
}
