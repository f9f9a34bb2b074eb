/**
 * Box OAuth vocabulary: what the broker hands the Box client and what it gets back. The broker's
 * port (`BoxTokenApi` in lambda/broker/token-minter.ts) speaks these types; the client in this
 * folder implements it.
 */
import type { BoxResourceScope, BoxSubjectType, DOWNSCOPED_TOKEN_TYPE } from '../contract.js';

/** The app's client credentials (from the secret). */
export interface BoxClientCredentials {
  clientId: string;
  clientSecret: string;
}

/** The Box subject a CCG token acts as. */
export interface BoxSubject {
  type: BoxSubjectType;
  id: string;
}

/** A token Box issued, validated. */
export interface BoxToken {
  accessToken: string;
  /** Box's `expires_in`, as returned (seconds from issue; do not assume 3600). */
  expiresInSeconds: number;
  restrictedTo: BoxResourceScope[];
  /**
   * Box's `issued_token_type`, only when it is the access-token URN (Box's OpenAPI enum; its
   * downscope sample). Anything else (a doc sample shows `"bearer"` on a plain token) is dropped.
   */
  issuedTokenType?: typeof DOWNSCOPED_TOKEN_TYPE;
  /**
   * HTTP attempts the answer took (1 = no retry), so the broker can put Box's retries on the
   * request's trace. Absent from fakes that do not count.
   */
  attempts?: number;
}

/** Which Box call an answer belongs to; decides how some error codes read. */
export type BoxOperation = 'token' | 'exchange' | 'revoke';

interface DownscopeScopes {
  /** At least one Box scope (the broker sends none only for a full token, never an exchange). */
  scopes: readonly string[];
}

/**
 * What to downscope a token to: scopes alone, scopes on one item (`resource`), or scopes on the
 * item behind a shared link. Box refuses `resource` together with `box_shared_link`, so the type
 * cannot express it.
 */
export type DownscopeRequest =
  | (DownscopeScopes & { resource?: never; sharedLink?: never })
  | (DownscopeScopes & {
      /** `https://api.box.com/2.0/files/{id}` or `…/folders/{id}`. */
      resource: string;
      sharedLink?: never;
    })
  | (DownscopeScopes & {
      /** A Box shared link; a capability, never echoed. */
      sharedLink: string;
      resource?: never;
    });
