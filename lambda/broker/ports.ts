/**
 * The outside services the broker depends on, as the broker needs them. The concrete clients
 * (lambda/box, the Secrets Manager reader) implement these; tests and the local server swap them.
 */
import type { BoxClientCredentials, BoxSubject, BoxToken, DownscopeRequest } from '../box/types.js';
import type { Deadline } from '../deadline.js';

/**
 * The Box OAuth calls the broker makes. Every call runs inside the request's deadline: when it
 * passes, the call stops (no further attempt, no wait) and rejects with `BoxTimeoutError`.
 */
export interface BoxTokenApi {
  /** Client Credentials Grant for the enterprise's service account or a user. */
  requestToken(
    credentials: BoxClientCredentials,
    subject: BoxSubject,
    deadline: Deadline,
  ): Promise<BoxToken>;
  /** Token exchange: downscopes `subjectToken`; the answer is proven no wider than asked. */
  exchangeToken(
    subjectToken: string,
    request: DownscopeRequest,
    deadline: Deadline,
  ): Promise<BoxToken>;
  /** Revokes a token at Box. */
  revokeToken(credentials: BoxClientCredentials, token: string, deadline: Deadline): Promise<void>;
}
