/**
 * The setup check: asks Box, in an order chosen so each answer decides one setup step, whether a
 * Box app is set up as the broker needs it, and says which step is wrong and how to fix it. Where
 * Box gives the same answer for several mistakes (`invalid_grant`), it says "one of" instead of
 * guessing, and uses `--as-user` to tell them apart when it can.
 *
 * Deployable: no CLI, no process.env; `fetch`, the clock and the deadline are injected, and the
 * result is one JSON-ready object, so a scheduled Lambda can run it per tenant.
 */
import type { Deadline } from '../deadline.js';
import { BoxProbe, isOk, isTransient, type ProbeAnswer, type ProbeResult } from './box-probe.js';
import {
  type EvidenceBasis,
  type FixedStepId,
  ROOT_READ_SCOPE,
  SCOPE_STEPS_AFTER,
  type SetupStepId,
  STEP_ORDER,
  STEPS,
  type StepDefinition,
  scopeStep,
} from './steps.js';

/** The Box app's credentials: the secret's JSON. */
export interface SetupCredentials {
  clientId: string;
  clientSecret: string;
  enterpriseId: string;
}

export interface SetupCheckInput {
  credentials: SetupCredentials;
  /** A managed user's ID: adds the As-User and user-token checks. */
  asUserId?: string | undefined;
  /** Box scopes the integration needs (see `parseRequiredScopes`). */
  requiredScopes?: readonly string[] | undefined;
}

export interface SetupCheckDeps {
  /** Box origin. @default https://api.box.com */
  apiUrl?: string;
  /** The whole check's deadline (a canary passes what its invocation has left). */
  deadline: Deadline;
  fetch?: typeof fetch;
  /** Millisecond clock for `checkedAt`. @default Date.now */
  now?: () => number;
}

/** Box's answer that decided a step (never a secret or token). */
export interface StepEvidence {
  request: string;
  /** HTTP status; absent when Box could not be reached. */
  status?: number;
  code?: string;
  message?: string;
}

export type StepStatus = 'pass' | 'fail' | 'skipped';

/** One checklist row's result. */
export interface SetupStepResult {
  id: SetupStepId;
  title: string;
  guideStep: number;
  /** Whether this step must pass for the check to pass. */
  required: boolean;
  status: StepStatus;
  basis: EvidenceBasis;
  /** Box's answers that decided it (empty when skipped before any call). */
  evidence: StepEvidence[];
  /** pass: what was proven; skipped: why it was not checked; fail: what Box's answer means. */
  note: string;
  /** For a failed step: what to change, where. */
  fix: string | null;
}

/** The check's outcome: `inconclusive` = nothing failed, but a required step could not be decided. */
export type SetupOutcome = 'pass' | 'fail' | 'inconclusive';

/** The whole result; `JSON.stringify` it for machines. */
export interface SetupCheckResult {
  outcome: SetupOutcome;
  checkedAt: string;
  boxApiUrl: string;
  clientId: string;
  enterpriseId: string;
  asUserId: string | null;
  serviceAccount: { id: string; name: string; login: string } | null;
  /** The required steps that failed, in checklist order (what a canary logs). */
  failedSteps: SetupStepId[];
  steps: SetupStepResult[];
}

const GRANT_TYPE_UNAUTHORIZED = /grant type is unauthorized/i;
const SUBJECT_TYPE_UNAUTHORIZED = /box_subject_type.{0,4} value is unauthorized/i;
const NOT_AUTHORIZED_BY_ADMIN = /not authorized by the enterprise admin/i;

/** Runs the check. Never throws for anything Box answers; only a programming error escapes. */
export async function runSetupCheck(
  input: SetupCheckInput,
  deps: SetupCheckDeps,
): Promise<SetupCheckResult> {
  const apiUrl = (deps.apiUrl ?? 'https://api.box.com').replace(/\/+$/, '');
  const { credentials } = input;
  const probe = new BoxProbe({
    apiUrl,
    deadline: deps.deadline,
    fetch: deps.fetch ?? globalThis.fetch,
    secrets: [credentials.clientSecret],
  });
  const board = new StepBoard(input.requiredScopes ?? [], input.asUserId !== undefined);
  const serviceAccount = await checkApp(probe, board, input);
  const steps = board.results();
  const required = steps.filter((step) => step.required);
  const failedSteps = required.filter((step) => step.status === 'fail').map((step) => step.id);
  const outcome: SetupOutcome =
    failedSteps.length > 0
      ? 'fail'
      : required.every((step) => step.status === 'pass')
        ? 'pass'
        : 'inconclusive';
  return {
    outcome,
    checkedAt: new Date((deps.now ?? Date.now)()).toISOString(),
    boxApiUrl: apiUrl,
    clientId: credentials.clientId,
    enterpriseId: credentials.enterpriseId,
    asUserId: input.asUserId ?? null,
    serviceAccount,
    failedSteps,
    steps,
  };
}

/** The steps' verdicts as they are decided; every step starts "not reached". */
class StepBoard {
  readonly #steps = new Map<SetupStepId, SetupStepResult>();

  constructor(
    readonly scopes: readonly string[],
    withUser: boolean,
  ) {
    const add = (id: SetupStepId, definition: StepDefinition, required: boolean) => {
      this.#steps.set(id, {
        id,
        title: definition.title,
        guideStep: definition.guideStep,
        required,
        status: 'skipped',
        basis: definition.basis,
        evidence: [],
        note: 'not reached',
        fix: null,
      });
    };
    for (const id of STEP_ORDER) {
      const userStep = id === 'as_user' || id === 'user_tokens';
      add(id, STEPS[id], !userStep || withUser);
      if (userStep && !withUser)
        this.skip(id, 'not checked: give --as-user ID (a managed user) to check it');
      if (id === SCOPE_STEPS_AFTER) {
        for (const scope of scopes) add(`scope:${scope}`, scopeStep(scope), true);
      }
    }
  }

  pass(id: SetupStepId, note: string, ...evidence: ProbeResult[]): void {
    this.#set(id, 'pass', note, evidence, null);
  }

  fail(id: SetupStepId, note: string, fix: string, ...evidence: ProbeResult[]): void {
    this.#set(id, 'fail', note, evidence, fix);
  }

  skip(id: SetupStepId, note: string, ...evidence: ProbeResult[]): void {
    this.#set(id, 'skipped', note, evidence, null);
  }

  /** Marks steps skipped because Box did not give a usable answer (retry later). */
  transient(ids: readonly SetupStepId[], result: ProbeResult): void {
    for (const id of ids)
      this.skip(id, `not decided: ${describeTransient(result)}; run the check again`, result);
  }

  fixFor(id: FixedStepId): string {
    return STEPS[id].fix;
  }

  results(): SetupStepResult[] {
    return [...this.#steps.values()];
  }

  #set(
    id: SetupStepId,
    status: StepStatus,
    note: string,
    evidence: ProbeResult[],
    fix: string | null,
  ): void {
    const step = this.#steps.get(id);
    if (step === undefined) return;
    step.status = status;
    step.note = note;
    step.fix = fix;
    step.evidence = evidence.map(toEvidence);
  }
}

function toEvidence(result: ProbeResult): StepEvidence {
  if (result.kind === 'unreachable') return { request: result.request };
  const evidence: StepEvidence = { request: result.request, status: result.status };
  if (result.code !== undefined) evidence.code = result.code;
  if (result.message !== undefined) evidence.message = result.message;
  return evidence;
}

function describeTransient(result: ProbeResult): string {
  if (result.kind === 'unreachable') {
    return result.reason === 'timeout' ? 'Box did not answer in time' : 'Box could not be reached';
  }
  return `Box answered HTTP ${result.status} (temporary)`;
}

function said(result: ProbeAnswer): string {
  const code = result.code ?? `HTTP ${result.status}`;
  return result.message === undefined || result.message === ''
    ? code
    : `${code} "${result.message}"`;
}

const APP_STEPS: readonly FixedStepId[] = ['ccg', 'credentials', 'authorized', 'enterprise_id'];
const NEEDS_TOKEN =
  'not checked: needs the service account token, which Box did not issue (see the steps above)';

/** Decides every step; returns the service account when its token worked. */
async function checkApp(
  probe: BoxProbe,
  board: StepBoard,
  input: SetupCheckInput,
): Promise<SetupCheckResult['serviceAccount']> {
  const { credentials, asUserId } = input;
  const enterprise = await probe.grant(credentials, {
    type: 'enterprise',
    id: credentials.enterpriseId,
  });
  const tokenDependents: SetupStepId[] = [
    'service_account',
    ...board.scopes.map((scope): SetupStepId => `scope:${scope}`),
    ...(asUserId === undefined ? [] : (['as_user'] as const)),
  ];

  if (!isOk(enterprise)) {
    for (const id of tokenDependents) board.skip(id, NEEDS_TOKEN);
    await decideGrantFailure(probe, board, input, enterprise);
    return null;
  }
  const token = accessToken(enterprise);
  if (token === undefined) {
    board.fail(
      'service_account',
      'Box answered the token request with 200 but no access_token',
      board.fixFor('service_account'),
      enterprise,
    );
    return null;
  }
  probe.hide(token);
  for (const id of APP_STEPS) board.pass(id, 'Box issued a service account token', enterprise);

  const serviceAccount = await checkServiceAccount(probe, board, token);
  for (const scope of board.scopes) await checkScope(probe, board, token, scope);
  if (asUserId !== undefined) {
    await checkAsUser(probe, board, token, asUserId, serviceAccount?.id);
    await checkUserToken(probe, board, input, asUserId, serviceAccount?.id);
  }
  return serviceAccount;
}

/** The enterprise grant failed: name the step Box's answer points at, or say "one of". */
async function decideGrantFailure(
  probe: BoxProbe,
  board: StepBoard,
  input: SetupCheckInput,
  enterprise: ProbeResult,
): Promise<void> {
  const { credentials, asUserId } = input;
  const userSteps: SetupStepId[] = asUserId === undefined ? [] : ['user_tokens'];
  if (isTransient(enterprise) || enterprise.kind !== 'answer') {
    board.transient([...APP_STEPS, ...userSteps], enterprise);
    return;
  }
  const undecided = (why: string) => `not decided: ${why}`;
  const { code = '', message = '' } = enterprise;

  if (code === 'invalid_client') {
    board.fail(
      'credentials',
      `Box refused the client credentials: ${said(enterprise)}`,
      board.fixFor('credentials'),
      enterprise,
    );
    for (const id of ['ccg', 'authorized', 'enterprise_id', ...userSteps] as const) {
      board.skip(
        id,
        undecided('Box checks the client ID and secret first; fix them and run the check again'),
      );
    }
    return;
  }
  if (GRANT_TYPE_UNAUTHORIZED.test(message) || SUBJECT_TYPE_UNAUTHORIZED.test(message)) {
    board.fail(
      'ccg',
      `Box refused the Client Credentials Grant for this app: ${said(enterprise)}`,
      board.fixFor('ccg'),
      enterprise,
    );
    for (const id of ['credentials', 'authorized', 'enterprise_id', ...userSteps] as const) {
      board.skip(id, undecided('Box refused the grant type before looking at the rest'));
    }
    return;
  }
  if (NOT_AUTHORIZED_BY_ADMIN.test(message)) {
    board.fail(
      'authorized',
      `Box says the app is not authorised: ${said(enterprise)}`,
      board.fixFor('authorized'),
      enterprise,
    );
    for (const id of ['ccg', 'credentials', 'enterprise_id', ...userSteps] as const) {
      board.skip(
        id,
        undecided(
          'Box answered about authorisation first; authorise the app and run the check again',
        ),
      );
    }
    return;
  }
  if (code === 'invalid_grant') {
    await decideInvalidGrant(probe, board, credentials, asUserId, enterprise);
    return;
  }
  // An answer BOX-OAUTH.md does not list for a setup mistake: report it, decide nothing.
  for (const id of [...APP_STEPS, ...userSteps]) {
    board.skip(
      id,
      undecided(`Box answered ${said(enterprise)}, which names no setup step`),
      enterprise,
    );
  }
}

/**
 * `invalid_grant` to the enterprise subject fits a wrong enterprise ID, an app not (re)authorised
 * and a secret that does not match the client ID (DOCS). A user-subject grant tells them apart
 * when it succeeds: then only the enterprise ID can be wrong.
 */
async function decideInvalidGrant(
  probe: BoxProbe,
  board: StepBoard,
  credentials: SetupCredentials,
  asUserId: string | undefined,
  enterprise: ProbeAnswer,
): Promise<void> {
  const user =
    asUserId === undefined
      ? undefined
      : await probe.grant(credentials, { type: 'user', id: asUserId });
  if (user !== undefined && isOk(user)) {
    const userToken = accessToken(user);
    if (userToken !== undefined) probe.hide(userToken);
    for (const id of ['ccg', 'credentials', 'authorized'] as const) {
      board.pass(id, 'Box issued a user token with these credentials', user);
    }
    board.pass('user_tokens', `Box issued a token for user ${asUserId}`, user);
    const actual = userToken === undefined ? undefined : await userEnterprise(probe, userToken);
    board.fail(
      'enterprise_id',
      `Box refused the enterprise subject (${said(enterprise)}) but issued a user token with the same credentials, so the enterprise ID is wrong${actual === undefined ? '' : `: Box says user ${asUserId} belongs to enterprise ${actual}`}`,
      board.fixFor('enterprise_id'),
      enterprise,
      user,
    );
    return;
  }
  const candidates: FixedStepId[] = ['credentials', 'authorized', 'enterprise_id'];
  const evidence: ProbeResult[] = [enterprise];
  if (user !== undefined) {
    evidence.push(user);
    if (isTransient(user)) board.transient(['user_tokens'], user);
    else {
      candidates.push('user_tokens');
      board.skip('user_tokens', 'not decided: see "The enterprise ID is right"', user);
    }
  }
  const fixes = candidates.map(
    (id, index) => `(${index + 1}) ${STEPS[id].cause}: ${STEPS[id].fix}`,
  );
  board.fail(
    'enterprise_id',
    `Box answered ${said(enterprise)}, which it gives for one of: ${candidates.map((id, index) => `(${index + 1}) ${STEPS[id].cause}`).join('; ')}. Box's answer does not say which${asUserId === undefined ? '; run the check with --as-user ID to narrow it down' : ''}`,
    `One of:\n${fixes.join('\n')}`,
    ...evidence,
  );
  for (const id of ['credentials', 'authorized'] as const) {
    board.skip(
      id,
      'not decided: Box\'s invalid_grant does not tell this step apart (see "The enterprise ID is right")',
      enterprise,
    );
  }
  board.skip('ccg', 'not decided: Box did not issue a token', enterprise);
}

async function checkServiceAccount(
  probe: BoxProbe,
  board: StepBoard,
  token: string,
): Promise<SetupCheckResult['serviceAccount']> {
  const me = await probe.get('/2.0/users/me?fields=id,name,login,enterprise', token);
  if (isOk(me)) {
    const id = stringField(me.body, 'id');
    const name = stringField(me.body, 'name') ?? '';
    const login = stringField(me.body, 'login') ?? '';
    if (id !== undefined) {
      board.pass('service_account', `service account "${name}" <${login}> (user ${id})`, me);
      return { id, name, login };
    }
  }
  if (isTransient(me)) board.transient(['service_account'], me);
  else {
    const what = me.kind === 'answer' ? said(me) : 'no answer';
    board.fail(
      'service_account',
      `Box refused the service account's own token: ${what}`,
      board.fixFor('service_account'),
      me,
    );
  }
  return null;
}

async function checkScope(
  probe: BoxProbe,
  board: StepBoard,
  token: string,
  scope: string,
): Promise<void> {
  const id: SetupStepId = `scope:${scope}`;
  const fix = scopeStep(scope).fix;
  const result =
    scope === ROOT_READ_SCOPE
      ? await probe.get('/2.0/folders/0?fields=id', token)
      : await probe.exchange(token, scope);
  if (isOk(result)) {
    const token = accessToken(result);
    if (token !== undefined) probe.hide(token);
    board.pass(
      id,
      scope === ROOT_READ_SCOPE
        ? 'the service account read the root folder'
        : `Box downscoped the token to ${scope}`,
      result,
    );
    return;
  }
  if (isTransient(result) || result.kind !== 'answer') {
    board.transient([id], result);
    return;
  }
  const lacks =
    (scope === ROOT_READ_SCOPE && result.status === 403) ||
    (scope !== ROOT_READ_SCOPE && result.status === 401);
  if (lacks) {
    board.fail(id, `the app's token does not hold ${scope}: ${said(result)}`, fix, result);
  } else {
    board.fail(
      id,
      `Box refused ${scope}: ${said(result)} (not the documented answer for a missing scope)`,
      fix,
      result,
    );
  }
}

async function checkAsUser(
  probe: BoxProbe,
  board: StepBoard,
  token: string,
  asUserId: string,
  serviceAccountId: string | undefined,
): Promise<void> {
  if (asUserId === serviceAccountId) {
    board.fail(
      'as_user',
      `${asUserId} is the service account itself, which As-User cannot name (DOCS as-user.md)`,
      'Give --as-user the ID of a managed user (Admin Console > Users and Groups), not the service account.',
    );
    return;
  }
  const result = await probe.get('/2.0/users/me?fields=id', token, asUserId);
  if (isOk(result)) {
    const id = stringField(result.body, 'id');
    if (id === asUserId) {
      board.pass('as_user', `the service account acted as user ${asUserId}`, result);
      return;
    }
    board.fail(
      'as_user',
      `Box answered the As-User call as user ${id ?? '(none)'}, not ${asUserId}`,
      board.fixFor('as_user'),
      result,
    );
    return;
  }
  if (isTransient(result) || result.kind !== 'answer') {
    board.transient(['as_user'], result);
    return;
  }
  const note =
    result.status === 403 && result.code === 'insufficient_scope'
      ? `Box refused the As-User header: ${said(result)}; that is its answer when "Perform Actions as Users" is off or not yet re-authorised`
      : `Box refused the As-User call: ${said(result)}; one of: the feature is off, or ${asUserId} is not a managed user of this enterprise`;
  board.fail('as_user', note, board.fixFor('as_user'), result);
}

async function checkUserToken(
  probe: BoxProbe,
  board: StepBoard,
  input: SetupCheckInput,
  asUserId: string,
  serviceAccountId: string | undefined,
): Promise<void> {
  const result = await probe.grant(input.credentials, { type: 'user', id: asUserId });
  if (isOk(result)) {
    const token = accessToken(result);
    if (token !== undefined) probe.hide(token);
    board.pass('user_tokens', `Box issued a token for user ${asUserId}`, result);
    return;
  }
  if (isTransient(result) || result.kind !== 'answer') {
    board.transient(['user_tokens'], result);
    return;
  }
  if (asUserId === serviceAccountId) {
    board.fail(
      'user_tokens',
      `${asUserId} is the service account; use box_subject_type=enterprise for it (box-windows-sdk-v2#879)`,
      'Give --as-user the ID of a managed user, not the service account.',
      result,
    );
    return;
  }
  board.fail(
    'user_tokens',
    `Box refused a token for user ${asUserId}: ${said(result)}; with working app credentials that means one of: "Generate user access tokens" is off, the app has App Access Only (managed users need App + Enterprise Access), or it was not re-authorised after the change`,
    board.fixFor('user_tokens'),
    result,
  );
}

async function userEnterprise(probe: BoxProbe, userToken: string): Promise<string | undefined> {
  const me = await probe.get('/2.0/users/me?fields=id,enterprise', userToken);
  if (!isOk(me)) return undefined;
  const enterprise = me.body?.enterprise;
  if (typeof enterprise !== 'object' || enterprise === null) return undefined;
  const id = (enterprise as Record<string, unknown>).id;
  return typeof id === 'string' && /^\d+$/.test(id) ? id : undefined;
}

function accessToken(result: ProbeAnswer): string | undefined {
  return stringField(result.body, 'access_token');
}

function stringField(body: Record<string, unknown> | undefined, key: string): string | undefined {
  const value = body?.[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
