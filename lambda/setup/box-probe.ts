/**
 * The setup check's calls to Box, returning Box's answer as evidence instead of turning it into the
 * broker's errors: the check needs Box's exact code and message to decide which setup step is
 * wrong. `fetch` and the deadline are injected so a scheduled Lambda can run the same probes.
 */
import { parseJsonObject } from '../box/answers.js';
import { readErrorEvidence } from '../box/error-answers.js';
import {
  type BoxAnswer,
  type BoxRequest,
  clientCredentialsForm,
  sendToBox,
  tokenExchangeForm,
} from '../box/send.js';
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

/**
 * The probes, bound to one Box origin, one deadline and one set of secrets. They are thin grants
 * over the broker's own Box client pieces: the same forms (box/send.ts), the same single request
 * (same User-Agent, no redirects, body read under the deadline) and the same reading of Box's
 * error answers (box/error-answers.ts); only the verdict differs, evidence instead of errors.
 */
export class BoxProbe {
  constructor(private readonly options: BoxProbeOptions) {}

  /** Client Credentials Grant for the enterprise (service account) or a user. */
  grant(
    credentials: { clientId: string; clientSecret: string },
    subject: { type: 'enterprise' | 'user'; id: string },
  ): Promise<ProbeResult> {
    return this.#send(`POST /oauth2/token (client_credentials, box_subject_type=${subject.type})`, {
      method: 'POST',
      path: '/oauth2/token',
      form: clientCredentialsForm(credentials, subject),
    });
  }

  /** Token exchange of `token` down to one scope (documented: a scope not held is a 401). */
  exchange(token: string, scope: string): Promise<ProbeResult> {
    return this.#send(`POST /oauth2/token (token exchange, scope=${scope})`, {
      method: 'POST',
      path: '/oauth2/token',
      form: tokenExchangeForm(token, { scopes: [scope] }),
    });
  }

  /** An API read with `token`, optionally acting as a user (`As-User`). */
  get(path: string, token: string, asUserId?: string): Promise<ProbeResult> {
    const label = `GET ${path.split('?')[0]}${asUserId === undefined ? '' : ` (As-User: ${asUserId})`}`;
    return this.#send(label, {
      method: 'GET',
      path,
      bearer: token,
      ...(asUserId === undefined ? {} : { asUser: asUserId }),
    });
  }

  /** Remembers a token so no message can echo it. */
  hide(token: string): void {
    this.options.secrets.push(token);
  }

  async #send(
    request: string,
    call: Omit<BoxRequest, 'url'> & { path: string },
  ): Promise<ProbeResult> {
    const { path, ...rest } = call;
    const { deadline } = this.options;
    let answer: BoxAnswer;
    try {
      answer = await sendToBox(
        this.options.fetch,
        { ...rest, url: `${this.options.apiUrl}${path}` },
        deadline.signal,
      );
    } catch (error) {
      const timedOut =
        deadline.signal.aborted ||
        (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'));
      return { kind: 'unreachable', request, reason: timedOut ? 'timeout' : 'network' };
    }
    const { status } = answer;
    if (status >= 200 && status < 300) {
      const body = parseJsonObject(answer.text);
      return {
        kind: 'answer',
        request,
        status,
        ok: true,
        code: undefined,
        message: undefined,
        body,
      };
    }
    const { code, message } = readErrorEvidence(answer, this.options.secrets);
    return { kind: 'answer', request, status, ok: false, code, message, body: undefined };
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
