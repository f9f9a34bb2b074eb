/**
 * Contract v1.3 onboarding: the page, and its submit. A submit runs the same setup check as
 * `box-token-broker check` and the schedule, with the invitation's required scopes; on `pass` it
 * stores the tenant (tagged as `tenant add` tags it) and only then consumes the invitation, so a
 * storing failure leaves the link usable, and then the tenant's other links. Unknown, expired
 * and used codes get one answer; each code has at most {@link MAX_ATTEMPTS_PER_HOUR} attempts
 * per hour. The request's log line is the audit line (tenant, outcome, failed steps, source IP);
 * the secret goes only to the store.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import type { Deadline } from '../deadline.js';
import {
  BrokerError,
  CredentialsUnavailableError,
  InvitationNotFoundError,
  RateLimitedError,
} from '../errors.js';
import { runSetupCheck } from '../setup/setup-check.js';
import type { SetupOutcome, SetupStepResult } from '../setup/setup-check-types.js';
import { lastCheckTag } from '../setup/tenant-secret.js';
import { attemptWindowOf } from '../state/invitation-window.js';
import type { InvitationStore } from '../state/ports.js';
import { StateUnavailableError } from '../state/state-call.js';
import type { RequestTrace } from '../trace/request-trace.js';
import { inviteCodeHash } from './invite-code.js';
import { ONBOARD_SECURITY_HEADERS, onboardPage } from './page.js';
import { parseSubmission } from './submission.js';
import type { TenantSecretWriter } from './tenant-secrets.js';

/** Contract v1.3: more than this many attempts per code in an hour is `429 rate_limited`. */
export const MAX_ATTEMPTS_PER_HOUR = 10;

/** `POST /onboard`'s answer. */
export interface OnboardAnswer {
  tenant: string;
  outcome: SetupOutcome;
  /** The setup check's rows, as `box-token-broker check --json` gives them. */
  steps: SetupStepResult[];
}

export interface OnboardingOptions {
  invitations: InvitationStore;
  secrets: TenantSecretWriter;
  /** Box origin (`BOX_API_URL`). */
  boxApiUrl: string;
  fetch?: typeof fetch;
  now?: () => number;
}

/** What the submit needs of the request: its trace (the audit line) and its deadline. */
export interface OnboardRequest {
  trace: RequestTrace;
  deadline: Deadline;
  /** The client's address as API Gateway saw it. */
  sourceIp: string | undefined;
}

export class Onboarding {
  private readonly now: () => number;

  constructor(private readonly options: OnboardingOptions) {
    this.now = options.now ?? Date.now;
  }

  /** `GET /onboard`. */
  page(trace: RequestTrace): APIGatewayProxyResult {
    trace.operation = 'onboard';
    trace.status = 200;
    return onboardPage(trace.requestId);
  }

  /** `POST /onboard` with its parsed JSON body. */
  async submit(body: unknown, request: OnboardRequest): Promise<APIGatewayProxyResult> {
    const { trace } = request;
    trace.operation = 'onboard';
    if (request.sourceIp !== undefined) trace.sourceIp = request.sourceIp;
    const submission = parseSubmission(body);
    const codeSha256 = inviteCodeHash(submission.code);
    const { invitations } = this.options;
    const invitation = await storeCall(() => invitations.find(codeSha256, this.now()));
    if (invitation === undefined) throw new InvitationNotFoundError();
    trace.tenant = invitation.tenant;
    const nowMs = this.now();
    const attempts = await storeCall(() => invitations.countAttempt(codeSha256, nowMs));
    if (attempts > MAX_ATTEMPTS_PER_HOUR) {
      const seconds = Math.max(1, Math.ceil((attemptWindowOf(nowMs).endsAtMs - nowMs) / 1000));
      throw new RateLimitedError(
        `More than ${MAX_ATTEMPTS_PER_HOUR} attempts with this link in an hour; try again later.`,
        seconds,
      );
    }
    const credentials = {
      clientId: submission.clientId,
      clientSecret: submission.clientSecret,
      enterpriseId: submission.enterpriseId,
    };
    const result = await runSetupCheck(
      { credentials, requiredScopes: invitation.requiredScopes },
      {
        apiUrl: this.options.boxApiUrl,
        deadline: request.deadline,
        now: this.now,
        fetch: countedFetch(this.options.fetch ?? globalThis.fetch, trace, this.now),
      },
    );
    trace.onboardOutcome = result.outcome;
    trace.failedSteps = result.failedSteps;
    if (result.outcome === 'pass') {
      const stored = await this.options.secrets.create(
        {
          tenantId: invitation.tenant,
          credentials,
          addedBy: `onboarding invited by ${invitation.invitedBy}`,
          lastCheck: lastCheckTag(result),
        },
        request.deadline,
      );
      if (stored === 'exists') {
        throw new BrokerError(
          'tenant_exists',
          'This tenant is registered already; nothing was changed. Ask the vendor who sent the link.',
        );
      }
      // Stored: the link is spent. A lost race (the same link passed twice at once) changes
      // nothing: CreateSecret let only one of them store.
      await storeCall(() => invitations.consume(codeSha256, this.now()));
      await spendOtherLinks(invitations, invitation.tenant, trace);
    }
    trace.status = 200;
    const answer: OnboardAnswer = {
      tenant: invitation.tenant,
      outcome: result.outcome,
      steps: result.steps,
    };
    return {
      statusCode: 200,
      headers: {
        ...ONBOARD_SECURITY_HEADERS,
        'Content-Type': 'application/json',
        'X-Request-Id': trace.requestId,
      },
      body: JSON.stringify(answer),
    };
  }
}

/**
 * `fetch` that counts the check's Box calls and their time on the request's trace: an anonymous
 * page drives them, and its audit line says how many.
 */
function countedFetch(send: typeof fetch, trace: RequestTrace, now: () => number): typeof fetch {
  return async (input, init) => {
    const startedAt = now();
    trace.boxCalls += 1;
    try {
      return await send(input, init);
    } finally {
      trace.boxLatencyMs += now() - startedAt;
    }
  };
}

/**
 * Spends the tenant's other live links (a link sent again, a second admin's): the tenant is
 * registered now, and a link left live would register it again, with whatever Box app its holder
 * chooses, as soon as the tenant's secret is gone (deleted without a recovery window; `tenant
 * remove`'s window of at least 7 days outlasts any link). The tenant is stored and this link spent whatever
 * happens here, so a table that fails is counted on the audit line, not answered as an error
 * (`tenant list` still shows a link left over; `tenant invite ID --revoke` spends it).
 */
async function spendOtherLinks(
  invitations: InvitationStore,
  tenant: string,
  trace: RequestTrace,
): Promise<void> {
  try {
    await invitations.revoke(tenant);
  } catch (error) {
    if (!(error instanceof StateUnavailableError)) throw error;
    trace.stateErrors = (trace.stateErrors ?? 0) + 1;
    trace.stateError = error.failure;
  }
}

/**
 * A call to the invitation store: a table that is slow, throttled or unreachable is a retryable
 * 503 for the admin (nothing was stored, or the tenant is stored and the link still usable).
 */
async function storeCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof StateUnavailableError)) throw error;
    throw new CredentialsUnavailableError(
      'The broker could not reach its invitation store; try again in a moment.',
      { cause: error, retryAfterSeconds: 2 },
    );
  }
}
