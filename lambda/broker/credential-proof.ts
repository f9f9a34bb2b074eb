/**
 * What Box's answers prove about one tenant's secret version. A client-credentials grant Box
 * accepts proves the version good. `invalid_client` proves it wrong only for the enterprise
 * subject: for a caller's user subject the enterprise grant is asked (its verdict reused a while,
 * so callers cannot make the broker re-validate the secret on every request) and its answer decides.
 */
import type { BoxCredentialsRejectedError } from '../errors.js';
import type { CredentialSelector } from './credential-selection.js';
import type { BoxCredentials } from './credentials.js';
import type { RequestScope } from './requests.js';
import type { TenantTokens } from './tenant-tokens.js';
import {
  type IssuedToken,
  isInvalidClient,
  type Target,
  type TokenMinter,
} from './token-minter.js';

/** The enterprise grant proved the secret version wrong: the rotation state machine must act. */
export class CredentialsProvenWrong extends Error {
  constructor(readonly rejection: BoxCredentialsRejectedError) {
    super('Box rejects this secret version');
  }
}

export interface CredentialProofOptions {
  minter: TokenMinter;
  selector: CredentialSelector;
  /** Where a good enterprise grant's token is kept. */
  tokens: TenantTokens;
  /** How long the enterprise grant's verdict on one secret version is reused. */
  verifyIntervalMs: number;
  now: () => number;
}

export class CredentialProof {
  private verdict: { versionId: string; untilMs: number; rejects: boolean } | undefined;

  constructor(private readonly options: CredentialProofOptions) {}

  /**
   * A client-credentials grant for `target`. Throws {@link CredentialsProvenWrong} when Box's
   * refusal proves the secret version wrong; any other error as it came.
   */
  async grant(
    target: Target,
    credentials: BoxCredentials,
    scope: RequestScope,
  ): Promise<IssuedToken> {
    try {
      const token = await this.options.minter.grant(target.subject, credentials, scope);
      this.options.selector.accepted(credentials);
      return token;
    } catch (error) {
      if (
        isInvalidClient(error) &&
        (target.subject.type === 'enterprise' || (await this.enterpriseRejects(credentials, scope)))
      ) {
        throw new CredentialsProvenWrong(error);
      }
      throw error;
    }
  }

  /** A fresh enterprise grant with `credentials`; kept in the cache, since it is good. */
  async proveEnterprise(credentials: BoxCredentials, scope: RequestScope): Promise<void> {
    const subject = { type: 'enterprise' as const, id: credentials.enterpriseId };
    const token = await this.options.minter.grant(subject, credentials, scope);
    this.options.selector.accepted(credentials);
    const { tokens } = this.options;
    tokens.cache.set(tokens.key({ subject, scopes: [] }, credentials.versionId), token);
  }

  /** Whether the enterprise grant, too, calls `credentials` invalid (the verdict is reused a while). */
  private async enterpriseRejects(
    credentials: BoxCredentials,
    scope: RequestScope,
  ): Promise<boolean> {
    const verdict = this.verdict;
    if (verdict?.versionId === credentials.versionId && this.options.now() < verdict.untilMs) {
      return verdict.rejects;
    }
    let rejects = false;
    try {
      await this.proveEnterprise(credentials, scope);
    } catch (error) {
      rejects = isInvalidClient(error);
    }
    this.verdict = {
      versionId: credentials.versionId,
      untilMs: this.options.now() + this.options.verifyIntervalMs,
      rejects,
    };
    return rejects;
  }
}
