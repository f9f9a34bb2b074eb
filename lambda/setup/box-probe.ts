/**
 * The setup check's calls to Box, returning Box's answer as evidence instead of turning it into the
 * broker's errors: the check needs Box's exact code and message to decide which setup step is
 * wrong. `fetch` and the deadline are injected so a scheduled Lambda can run the same probes.
 */
import { parseJsonObject } from '../box/answers.js';
import { cleanDescription, parseErrorBody } from '../box/error-answers.js';
import { BOX_USER_AGENT } from '../box/user-agent.js';
import type { Deadline } from '../deadline.js';

/** What Box answered to one probe (code and message cleaned, secrets masked). */
export interface ProbeAnswer {
  kind: 'answer';
  /** The call as shown to the user, e.g. `POST /oauth2/token (client_credentials, enterprise)`. */
  request: string;
  status: number;
  /** Whether the status is 2xx. */
  ok: boolean;
  /** Box's `error` / `code`, or the `error` of a `WWW-Authenticate` header. */
  code: string | undefined;
  /** Box's `error_description` / `message`. */
  message: string | undefined;
  /** The parsed JSON body of a 2xx answer. */
  body: Record<string, unknown> | undefined;
}

/** Box could not be asked: the deadline passed or the network failed. */
export interface ProbeUnreachable {
  kind: 'unreachable';
  request: string;
  reason: 'timeout' | 'network';
}

export type ProbeResult = ProbeAnswer | ProbeUnreachable;

/** Whether a result says nothing about the setup (retry later): no answer, 429 or 5xx. */
export function isTransient(result: ProbeResult): boolean {
  return result.kind === 'unreachable' || result.status === 429 || result.status >= 500;
}

/** A successful answer, narrowed. */
export function isOk(result: ProbeResult): result is ProbeAnswer & { ok: true } {
  return result.kind === 'answer' && result.ok;
}

export interface BoxProbeOptions {
  /** Box origin, e.g. `https://api.box.com`. */
  apiUrl: string;
  deadline: Deadline;
  fetch: typeof fetch;
  /** Values never to echo (client secret, tokens). The probe adds the tokens it learns. */
  secrets: string[];
}

const CLIENT_CREDENTIALS = 'client_credentials';
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/** The probes, bound to one Box origin, one deadline and one set of secrets. */
export class BoxProbe {
  constructor(private readonly options: BoxProbeOptions) {}

  /** Client Credentials Grant for the enterprise (service account) or a user. */
  grant(
    credentials: { clientId: string; clientSecret: string },
    subject: { type: 'enterprise' | 'user'; id: string },
  ): Promise<ProbeResult> {
    return this.#send(
      `POST /oauth2/token (client_credentials, box_subject_type=${subject.type})`,
      '/oauth2/token',
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: CLIENT_CREDENTIALS,
          client_id: credentials.clientId,
          client_secret: credentials.clientSecret,
          box_subject_type: subject.type,
          box_subject_id: subject.id,
        }).toString(),
      },
    );
  }

  /** Token exchange of `token` down to one scope (documented: a scope not held is a 401). */
  exchange(token: string, scope: string): Promise<ProbeResult> {
    return this.#send(`POST /oauth2/token (token exchange, scope=${scope})`, '/oauth2/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: TOKEN_EXCHANGE,
        subject_token: token,
        subject_token_type: ACCESS_TOKEN_TYPE,
        scope,
      }).toString(),
    });
  }

  /** An API read with `token`, optionally acting as a user (`As-User`). */
  get(path: string, token: string, asUserId?: string): Promise<ProbeResult> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (asUserId !== undefined) headers['as-user'] = asUserId;
    const label = `GET ${path.split('?')[0]}${asUserId === undefined ? '' : ` (As-User: ${asUserId})`}`;
    return this.#send(label, path, { method: 'GET', headers });
  }

  /** Remembers a token so no message can echo it. */
  hide(token: string): void {
    this.options.secrets.push(token);
  }

  async #send(request: string, path: string, init: RequestInit): Promise<ProbeResult> {
    let response: Response;
    let text: string;
    try {
      response = await this.options.fetch(`${this.options.apiUrl}${path}`, {
        ...init,
        // The same User-Agent as the broker's own calls, so Box's logs tell the check apart too.
        headers: { ...(init.headers as Record<string, string>), 'user-agent': BOX_USER_AGENT },
        redirect: 'manual',
        signal: this.options.deadline.signal,
      });
      text = await response.text();
    } catch (error) {
      const timedOut =
        this.options.deadline.signal.aborted ||
        (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'));
      return { kind: 'unreachable', request, reason: timedOut ? 'timeout' : 'network' };
    }
    const ok = response.status >= 200 && response.status < 300;
    return { kind: 'answer', request, status: response.status, ok, ...this.#read(response, text) };
  }

  #read(response: Response, text: string): Pick<ProbeAnswer, 'code' | 'message' | 'body'> {
    const secrets = this.options.secrets;
    if (response.status >= 200 && response.status < 300) {
      return { code: undefined, message: undefined, body: parseJsonObject(text) };
    }
    const error = parseErrorBody(text);
    if (error !== undefined) {
      return {
        code: error.error,
        message: cleanDescription(error.description, secrets),
        body: undefined,
      };
    }
    // API errors without a body carry Box's reason in WWW-Authenticate (observed: 401, 403).
    const challenge = response.headers.get('www-authenticate') ?? '';
    const code = /error="([A-Za-z0-9_]{1,64})"/.exec(challenge)?.[1];
    const description = /error_description="([^"]{0,300})"/.exec(challenge)?.[1];
    return {
      code,
      message: description === undefined ? undefined : cleanDescription(description, secrets),
      body: undefined,
    };
  }
}

/** The `access_token` of a token answer, when it has a non-empty one. */
export function accessToken(result: ProbeAnswer): string | undefined {
  return stringField(result.body, 'access_token');
}

/** A non-empty string field of a 2xx answer's body. */
export function stringField(
  body: Record<string, unknown> | undefined,
  key: string,
): string | undefined {
  const value = body?.[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
