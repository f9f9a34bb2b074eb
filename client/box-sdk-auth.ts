/**
 * The official Box Node SDK (`box-node-sdk` v10, the generated line) authenticated by the broker:
 *
 * @example
 * import { BoxClient } from 'box-node-sdk';
 * const client = new BoxClient({ auth: new BrokerAuth({ url: process.env.BOX_TOKEN_BROKER_URL }) });
 * const me = await client.users.getUserMe();
 *
 * Only types come from the SDK, so this module loads without it: `box-node-sdk` stays an
 * optional peer dependency of the broker's client.
 */
import type { Authentication, NetworkSession } from 'box-node-sdk/networking';
import type { AccessToken } from 'box-node-sdk/schemas/accessToken';
import type { TokenResponse } from '../lambda/contract.js';
import { BrokerClient, type BrokerClientOptions } from './broker-client.js';
import type { BrokerClientError } from './errors.js';
import type { TokenOptions } from './token-options.js';

export interface BrokerAuthOptions
  extends Partial<BrokerClientOptions>,
    Omit<TokenOptions, 'deadToken'> {
  /** A client to share (its cache and credentials); otherwise one is built from these options. */
  client?: BrokerClient;
  /**
   * When Box answers 401, the next token request always names the refused token
   * (`dead_token_sha256`), so no broker environment returns it. With this set, a refused token
   * that has not expired is also revoked at Box through `POST /revoke` (needs
   * `execute-api:Invoke` on it). @default false (before 1.1: true; the dead-token field makes
   * the revoke unnecessary for getting a fresh token)
   */
  revokeOnUnauthorized?: boolean;
}

/**
 * Box SDK `Authentication` backed by box-token-broker. Tokens come from the broker (SigV4 with
 * the caller's AWS identity) and are cached until they near expiry; `refreshToken`, which the SDK
 * calls on a 401 from Box, replaces a dead token. Errors are {@link BrokerClientError}s.
 */
export class BrokerAuth implements Authentication {
  readonly client: BrokerClient;
  readonly #request: TokenOptions;
  readonly #revokeOnUnauthorized: boolean;
  readonly #now: () => number;
  #current: { token: TokenResponse; expiresAtMs: number } | undefined;
  #refreshing: Promise<AccessToken> | undefined;

  constructor(options: BrokerAuthOptions) {
    const {
      client,
      revokeOnUnauthorized,
      subject,
      scope,
      resource,
      sharedLink,
      minTtl,
      tenant,
      ...rest
    } = options;
    if (client === undefined && rest.url === undefined) {
      throw new TypeError('BrokerAuth needs url (or a BrokerClient).');
    }
    this.client = client ?? new BrokerClient({ ...rest, url: rest.url ?? '' });
    this.#request = {
      ...(subject === undefined ? {} : { subject }),
      ...(scope === undefined ? {} : { scope }),
      ...(resource === undefined ? {} : { resource }),
      ...(sharedLink === undefined ? {} : { sharedLink }),
      ...(minTtl === undefined ? {} : { minTtl }),
      ...(tenant === undefined ? {} : { tenant }),
    };
    this.#revokeOnUnauthorized = revokeOnUnauthorized ?? false;
    this.#now = rest.now ?? Date.now;
  }

  /** The current token, from the client's cache or the broker. */
  async retrieveToken(_networkSession?: NetworkSession): Promise<AccessToken> {
    if (this.#refreshing !== undefined) return this.#refreshing;
    return this.#accessToken(await this.client.getToken(this.#request));
  }

  /**
   * A new token. The SDK calls this after a 401 from Box; concurrent calls share one refresh.
   * The refused token is named to the broker (`dead_token_sha256`) so it never comes back (see
   * {@link BrokerAuthOptions.revokeOnUnauthorized}).
   */
  refreshToken(_networkSession?: NetworkSession): Promise<AccessToken> {
    if (this.#refreshing === undefined) {
      this.#refreshing = this.#refresh().finally(() => {
        this.#refreshing = undefined;
      });
    }
    return this.#refreshing;
  }

  async retrieveAuthorizationHeader(networkSession?: NetworkSession): Promise<string> {
    const token = await this.retrieveToken(networkSession);
    return `Bearer ${token.accessToken ?? ''}`;
  }

  /** Revokes the current token at Box (through the broker, in this auth's tenant) and forgets it. */
  async revokeToken(_networkSession?: NetworkSession): Promise<undefined> {
    const current = this.#current;
    this.#current = undefined;
    if (current !== undefined) await this.client.revoke(current.token.access_token, this.#tenant());
    return undefined;
  }

  /**
   * A downscoped token, issued by the broker (so its access policy applies) rather than by a
   * token exchange in this process. `resource` is a full item URL, as the SDK passes it.
   */
  async downscopeToken(
    scopes: readonly string[],
    resource?: string,
    sharedLink?: string,
    _networkSession?: NetworkSession,
  ): Promise<AccessToken> {
    const response = await this.client.getToken({
      ...(this.#request.subject === undefined ? {} : { subject: this.#request.subject }),
      ...(this.#request.tenant === undefined ? {} : { tenant: this.#request.tenant }),
      scope: scopes,
      ...(resource === undefined ? {} : { resource }),
      ...(sharedLink === undefined ? {} : { sharedLink }),
    });
    return toAccessToken(response);
  }

  async #refresh(): Promise<AccessToken> {
    const current = this.#current;
    if (current === undefined) return this.#accessToken(await this.client.getToken(this.#request));
    const dead = current.token.access_token;
    const alive = current.expiresAtMs > this.#now();
    if (alive && this.#revokeOnUnauthorized) {
      await this.client.revoke(dead, this.#tenant()).catch((_error: BrokerClientError) => {
        // Best effort: the dead-token field below already keeps the token from coming back.
      });
    }
    return this.#accessToken(await this.client.getToken({ ...this.#request, deadToken: dead }));
  }

  /** The tenant this auth asks for, as {@link BrokerClient.revoke} takes it. */
  #tenant(): { tenant?: string } {
    return this.#request.tenant === undefined ? {} : { tenant: this.#request.tenant };
  }

  #accessToken(token: TokenResponse): AccessToken {
    this.#current = { token, expiresAtMs: this.#now() + token.expires_in * 1000 };
    return toAccessToken(token);
  }
}

function toAccessToken(token: TokenResponse): AccessToken {
  return {
    accessToken: token.access_token,
    expiresIn: token.expires_in,
    tokenType: token.token_type,
    ...(token.issued_token_type === undefined ? {} : { issuedTokenType: token.issued_token_type }),
  };
}
