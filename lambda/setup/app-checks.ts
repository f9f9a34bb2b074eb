/**
 * The app checks: the enterprise grant decides the app's own steps (Client Credentials Grant,
 * credentials, authorisation, enterprise ID). When Box refuses it, Box's error text names the
 * step, or, for `invalid_grant`, a user-subject grant tells the candidates apart. When Box issues
 * the token, the capability checks run with it.
 */
import {
  accessToken,
  type BoxProbe,
  isOk,
  isTransient,
  type ProbeAnswer,
  type ProbeResult,
} from './box-probe.js';
import {
  checkAsUser,
  checkScope,
  checkServiceAccount,
  checkUserToken,
  userEnterprise,
} from './capability-checks.js';
import type { SetupCheckInput, SetupCheckResult, SetupCredentials } from './setup-check-types.js';
import { type StepBoard, said } from './step-board.js';
import { type FixedStepId, type SetupStepId, STEPS } from './steps.js';

const GRANT_TYPE_UNAUTHORIZED = /grant type is unauthorized/i;
const SUBJECT_TYPE_UNAUTHORIZED = /box_subject_type.{0,4} value is unauthorized/i;
const NOT_AUTHORIZED_BY_ADMIN = /not authorized by the enterprise admin/i;

const APP_STEPS: readonly FixedStepId[] = ['ccg', 'credentials', 'authorized', 'enterprise_id'];
const NEEDS_TOKEN =
  'not checked: needs the service account token, which Box did not issue (see the steps above)';

/** Decides every step; returns the service account when its token worked. */
export async function checkApp(
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
  // An answer docs/box.md does not list for a setup mistake: report it, decide nothing.
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
    board.inferred('enterprise_id');
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
