import { BoxBadResponseError, BoxTimeoutError, BoxUnavailableError } from '../errors.js';

export interface BoxUserProbeOptions {
  /** Box API origin; the probe calls origin + `/2.0/users/me`. */
  apiUrl: string;
  timeoutMs: number;
  fetch?: typeof fetch;
}

/**
 * The canary's proof that a broker token really works at Box: `GET /2.0/users/me` with it.
 * A token endpoint that answers is not enough (an app can mint tokens it cannot use).
 */
export class BoxUserProbe {
  private readonly fetch: typeof fetch;

  constructor(private readonly options: BoxUserProbeOptions) {
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  /** The ID of the user the token acts as. */
  async whoAmI(accessToken: string): Promise<string> {
    let response: Response;
    try {
      response = await this.fetch(`${this.options.apiUrl}/2.0/users/me?fields=id`, {
        headers: { Authorization: `Bearer ${accessToken}` },
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      if (error instanceof Error && error.name === 'TimeoutError') {
        throw new BoxTimeoutError('Box did not answer GET /2.0/users/me in time.', {
          cause: error,
        });
      }
      throw new BoxUnavailableError('Box could not be reached for GET /2.0/users/me.', {
        cause: error,
      });
    }
    const text = await response.text();
    if (response.status === 429 || response.status >= 500) {
      throw new BoxUnavailableError(`Box answered GET /2.0/users/me with ${response.status}.`);
    }
    if (response.status !== 200) {
      throw new BoxBadResponseError(
        `Box refused the broker's token on GET /2.0/users/me (HTTP ${response.status}).`,
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const id = (body as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'string' || id === '') {
      throw new BoxBadResponseError('Box answered GET /2.0/users/me without a user id.');
    }
    return id;
  }
}
