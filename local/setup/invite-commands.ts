/**
 * `box-token-broker tenant invite ID --url BROKER_URL [--expires HOURS] [--require SCOPE]…
 * [--json]` and `tenant invite --revoke ID` (contract v1.3): an invitation stored in the
 * fleet-state table (only its code's hash), printed as the one-time link the customer's admin
 * opens; withdrawing a tenant's pending invitations. `tenant list` shows the pending ones
 * (tenant-commands.ts).
 */
import {
  INVITE_HOURS,
  inviteCodeHash,
  inviteLink,
  newInviteCode,
} from '../../lambda/onboard/invite-code.js';
import { parseRequiredScopes } from '../../lambda/setup/steps.js';
import type { Invitation, InvitationStore } from '../../lambda/state/ports.js';
import { tableFailure } from './aws-failure.js';
import { SETUP_EXIT, SetupCliFailure } from './exit-codes.js';
import type { SetupInvocation } from './invocation.js';
import { addedByOf } from './tenant-commands.js';

/** What the invitation store needs of IAM, for the failure message. */
const TABLE_PERMISSION =
  'dynamodb:PutItem, GetItem, UpdateItem, DeleteItem and Query on the BOX_STATE_TABLE table (docs/fleet-state.md "Permissions")';

/** `tenant invite ID` (or `--revoke`). */
export async function inviteTenant(invocation: SetupInvocation, tenantId: string): Promise<number> {
  invocation.registryFor(tenantId);
  if (invocation.options.revoke === true) return revokeInvitations(invocation, tenantId);
  const { options, io } = invocation;
  const url = options.url;
  if (url === undefined) {
    throw new SetupCliFailure(
      SETUP_EXIT.usage,
      '--url BROKER_URL is required (the API stage URL, or http://127.0.0.1:8787 locally)',
    );
  }
  const scopes = parseRequiredScopes(options.require ?? []);
  if ('unknown' in scopes) {
    throw new SetupCliFailure(
      SETUP_EXIT.usage,
      `--require: unknown Box scope(s) ${scopes.unknown.join(', ')}`,
    );
  }
  const requiredScopes = scopes.scopes;
  const hours = expiryHoursOf(options.expires);
  const code = newInviteCode();
  let link: string;
  try {
    link = inviteLink(url, code);
  } catch {
    throw new SetupCliFailure(
      SETUP_EXIT.usage,
      '--url must be the broker’s https base URL (http only for localhost), without a query or fragment',
    );
  }
  const now = (invocation.deps.now ?? Date.now)();
  const invitation: Invitation = {
    tenant: tenantId,
    codeSha256: inviteCodeHash(code),
    expiresAtMs: now + hours * 3_600_000,
    requiredScopes,
    invitedBy: addedByOf(invocation),
    createdAtMs: now,
  };
  const store = invitationsOf(invocation);
  try {
    await store.create(invitation);
  } catch (error) {
    throw tableFailure(
      { doing: `storing the invitation for tenant ${tenantId}`, permission: TABLE_PERMISSION },
      error,
      io.env,
    );
  }
  const expiresAt = new Date(invitation.expiresAtMs).toISOString();
  if (options.json === true) {
    invocation.printJson({ tenant: tenantId, url: link, expires_at: expiresAt });
    return SETUP_EXIT.ok;
  }
  io.stdout(
    [
      `Invitation for tenant ${tenantId}, valid until ${expiresAt} (${hours} h), once:`,
      '',
      `  ${link}`,
      '',
      'Send this link to the customer’s Box admin. It is shown only now: the broker stores only',
      `its hash. Withdraw it with: box-token-broker tenant invite --revoke ${tenantId}`,
      '',
    ].join('\n'),
  );
  return SETUP_EXIT.ok;
}

async function revokeInvitations(invocation: SetupInvocation, tenantId: string): Promise<number> {
  let revoked: number;
  try {
    revoked = await invitationsOf(invocation).revoke(tenantId);
  } catch (error) {
    throw tableFailure(
      { doing: `withdrawing the invitations of tenant ${tenantId}`, permission: TABLE_PERMISSION },
      error,
      invocation.io.env,
    );
  }
  if (invocation.options.json === true) {
    invocation.printJson({ tenant: tenantId, revoked });
  } else {
    invocation.io.stdout(
      `tenant ${tenantId}: ${revoked} pending invitation${revoked === 1 ? '' : 's'} withdrawn\n`,
    );
  }
  return SETUP_EXIT.ok;
}

/** Pending invitations as `tenant list` shows them; undefined when no table is configured. */
export async function pendingInvitations(
  invocation: SetupInvocation,
): Promise<Invitation[] | undefined> {
  const store = invocation.invitations();
  if (store === undefined) return undefined;
  try {
    return await store.listPending((invocation.deps.now ?? Date.now)());
  } catch (error) {
    throw tableFailure(
      { doing: 'listing pending invitations', permission: TABLE_PERMISSION },
      error,
      invocation.io.env,
    );
  }
}

/** The store, or a usage failure naming what to set. */
function invitationsOf(invocation: SetupInvocation): InvitationStore {
  const store = invocation.invitations();
  if (store === undefined) {
    throw new SetupCliFailure(
      SETUP_EXIT.usage,
      'invitations live in the fleet-state table: set BOX_STATE_TABLE (locally, start the state server: npm run state:local)',
    );
  }
  return store;
}

/** `--expires HOURS`: a whole number of hours, 1 to 168 (default 72). */
function expiryHoursOf(raw: string | undefined): number {
  if (raw === undefined) return INVITE_HOURS.default;
  const hours = /^\d{1,3}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(hours >= INVITE_HOURS.min && hours <= INVITE_HOURS.max)) {
    throw new SetupCliFailure(
      SETUP_EXIT.usage,
      `--expires must be ${INVITE_HOURS.min} to ${INVITE_HOURS.max} hours (default ${INVITE_HOURS.default})`,
    );
  }
  return hours;
}
