/**
 * The tokens the simulator issued: issue, expire (by the injected clock), revoke, look up.
 */
import type { BoxSubjectType } from '../../lambda/contract.js';
import { randomToken } from './answers.js';

/** A token the simulator issued. */
export interface IssuedToken {
  accessToken: string;
  kind: 'ccg' | 'downscoped';
  subjectType: BoxSubjectType;
  subjectId: string;
  /** The client that obtained the CCG token (the parent's, for a downscoped token). */
  clientId: string;
  scopes: readonly string[];
  resource?: string;
  sharedLink?: string;
  /** The token it was exchanged from. */
  parentToken?: string;
  /** The enterprise of the app that obtained it. */
  enterpriseId: string;
  expiresInSeconds: number;
  issuedAt: number;
  expiresAt: number;
  revoked: boolean;
}

/** What a caller decides about a new token; the store adds its value and times. */
export type TokenFields = Omit<IssuedToken, 'accessToken' | 'issuedAt' | 'expiresAt' | 'revoked'>;

/** Every token issued, by value, oldest first. */
export class TokenStore {
  readonly #now: () => number;
  readonly #tokens = new Map<string, IssuedToken>();

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Issues a new random token now, expiring after its `expiresInSeconds`. */
  issue(fields: TokenFields): IssuedToken {
    const issuedAt = this.#now();
    const token: IssuedToken = {
      ...fields,
      accessToken: randomToken(),
      issuedAt,
      expiresAt: issuedAt + fields.expiresInSeconds * 1000,
      revoked: false,
    };
    this.#tokens.set(token.accessToken, token);
    return token;
  }

  /** The token with this value, if issued here and neither expired nor revoked. */
  active(accessToken: string): IssuedToken | undefined {
    const token = this.#tokens.get(accessToken);
    if (token === undefined || token.revoked || this.#now() >= token.expiresAt) return undefined;
    return token;
  }

  /** Revokes the token with this value; an unknown value is ignored. */
  revoke(accessToken: string): void {
    const token = this.#tokens.get(accessToken);
    if (token !== undefined) token.revoked = true;
  }

  /** Revokes every token, as if Box invalidated them all. */
  revokeAll(): void {
    for (const token of this.#tokens.values()) token.revoked = true;
  }

  /** Every token issued, oldest first. */
  list(): readonly IssuedToken[] {
    return [...this.#tokens.values()];
  }

  /** Forgets every token. */
  clear(): void {
    this.#tokens.clear();
  }
}
