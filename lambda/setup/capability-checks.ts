/**
 * The capability checks, run with the service account token Box issued: who the service account
 * is, whether the token holds each required scope, whether it may act as a managed user, and
 * whether Box issues that user a token of their own.
 */
import { accessToken, type BoxProbe, isOk, isTransient, stringField } from './box-probe.js';
import type { SetupCheckInput, SetupCheckResult } from './setup-check-types.js';
import { type StepBoard, said } from './step-board.js';
import { ROOT_READ_SCOPE, type SetupStepId, scopeStep } from './steps.js';

/** Who the service account is (`/users/me` with its own token); null when Box did not say. */
export async function checkServiceAccount(
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

/** Whether the token holds `scope`: reads the root folder for the root read scope, else downscopes to it. */
export async function checkScope(
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

/** Whether the service account may act as `asUserId` through the As-User header. */
export async function checkAsUser(
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

/** Whether Box issues `asUserId` a token of their own (user-subject Client Credentials Grant). */
export async function checkUserToken(
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

/** The enterprise Box says a user token's user belongs to, when it says. */
export async function userEnterprise(
  probe: BoxProbe,
  userToken: string,
): Promise<string | undefined> {
  const me = await probe.get('/2.0/users/me?fields=id,enterprise', userToken);
  if (!isOk(me)) return undefined;
  const enterprise = me.body?.enterprise;
  if (typeof enterprise !== 'object' || enterprise === null) return undefined;
  const id = (enterprise as Record<string, unknown>).id;
  return typeof id === 'string' && /^\d+$/.test(id) ? id : undefined;
}
