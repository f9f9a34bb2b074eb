/**
 * `box-token-broker tenant add|check|list|remove`: onboarding a tenant only after its Box app
 * passes the setup check, re-checking it, listing and removing tenants. Each resolves to the
 * exit code; an AWS failure says what failed, AWS's error and what to configure (aws-failure.ts).
 */
import { userInfo } from 'node:os';
import { DEFAULT_TENANT } from '../../lambda/contract.js';
import { lastCheckTag } from '../../lambda/setup/tenant-secret.js';
import type { Invitation, Suspension, TenantHealthRecord } from '../../lambda/state/ports.js';
import { checkRunOptions, recoveryDaysOf } from './arguments.js';
import { awsFailure, tableFailure } from './aws-failure.js';
import { runCheck } from './check-command.js';
import { credentialsFromEnvOrPrompt, credentialsFromSecret } from './credentials.js';
import { exitCodeFor, SETUP_EXIT } from './exit-codes.js';
import { pendingInvitations } from './invite-commands.js';
import type { SetupInvocation } from './invocation.js';
import { suspensionsOf } from './suspend-commands.js';
import type { TenantRegistry } from './tenant-registry.js';

/** `tenant add ID`: checks the credentials and stores them only when the check passes. */
export async function addTenant(invocation: SetupInvocation, tenantId: string): Promise<number> {
  const { io, options } = invocation;
  const registry = invocation.registryFor(tenantId);
  checkRunOptions(invocation.options);
  invocation.boxApiUrl();
  const addedBy = addedByOf(invocation);
  const credentials = await credentialsFromEnvOrPrompt(io);
  const result = await runCheck(invocation, credentials);
  const secretName = registry.secretName(tenantId);
  if (result.outcome !== 'pass') {
    invocation.print(result, { tenant: tenantId, added: false, secretName });
    io.stderr(
      `box-token-broker: tenant ${tenantId} NOT added: the setup check did not pass; nothing was stored.\n`,
    );
    return exitCodeFor(result);
  }
  let arn: string | undefined;
  try {
    arn = await registry.create(tenantId, credentials, addedBy, lastCheckTag(result));
  } catch (error) {
    throw awsFailure(
      {
        doing: `storing the secret ${secretName}`,
        permission: `secretsmanager:CreateSecret and secretsmanager:TagResource on ${registry.prefix}*`,
        expected: {
          ResourceExistsException: `the tenant already exists; run "tenant check ${tenantId}", or "tenant remove ${tenantId}" first (a secret scheduled for deletion keeps its name until it is deleted: "aws secretsmanager restore-secret --secret-id ${secretName}")`,
        },
      },
      error,
      io.env,
    );
  }
  invocation.print(result, {
    tenant: tenantId,
    added: true,
    secretName,
    secretArn: arn ?? null,
    addedBy,
  });
  if (options.json !== true) {
    io.stdout(`tenant ${tenantId} added: secret ${secretName} (added by ${addedBy})\n`);
  }
  return SETUP_EXIT.ok;
}

/** `tenant check ID`: the setup check on the stored secret, its result recorded on the secret. */
export async function checkTenant(invocation: SetupInvocation, tenantId: string): Promise<number> {
  const registry = invocation.registryFor(tenantId);
  checkRunOptions(invocation.options);
  invocation.boxApiUrl();
  const credentials = await credentialsFromSecret(invocation, registry.secretName(tenantId));
  const result = await runCheck(invocation, credentials);
  try {
    await registry.recordCheck(tenantId, lastCheckTag(result));
  } catch (error) {
    const failure = awsFailure(
      {
        doing: 'recording the result on the secret',
        permission: `secretsmanager:TagResource on ${registry.secretName(tenantId)}`,
      },
      error,
      invocation.io.env,
    );
    invocation.io.stderr(`box-token-broker: warning: ${failure.message}\n`);
  }
  return invocation.report(result, { tenant: tenantId });
}

/**
 * `tenant list`: the tenants under the prefix with their last check and who added them, then the
 * pending invitations when the fleet-state table is configured.
 */
export async function listTenants(invocation: SetupInvocation): Promise<number> {
  const { io } = invocation;
  let tenants: Awaited<ReturnType<TenantRegistry['list']>>;
  try {
    tenants = await invocation.registry().list();
  } catch (error) {
    const failure = awsFailure(
      { doing: 'listing tenants', permission: 'secretsmanager:ListSecrets (on resource "*")' },
      error,
      io.env,
    );
    // The invitations live in the table, not in Secrets Manager: show them anyway (locally, the
    // tenants live in the broker's process and there is no Secrets Manager to list).
    if (invocation.options.json !== true) await printPendingInvitations(invocation);
    throw failure;
  }
  const { prefix } = invocation.registry();
  const suspensions = await suspensionsOf(invocation);
  const health = await healthOf(invocation);
  const pending = await pendingInvitations(invocation);
  const invitations = pending?.map((invitation) => ({
    tenant: invitation.tenant,
    expires_at: new Date(invitation.expiresAtMs).toISOString(),
    required_scopes: invitation.requiredScopes,
    invited_by: invitation.invitedBy,
    created_at: new Date(invitation.createdAtMs).toISOString(),
  }));
  const suspended = new Map((suspensions ?? []).map((s) => [s.tenant, s]));
  if (invocation.options.json === true) {
    const listed = tenants.map((t) => {
      const s = suspended.get(t.tenantId);
      const withSuspension = s === undefined ? t : { ...t, suspended: suspensionJson(s) };
      return health === undefined
        ? withSuspension
        : { ...withSuspension, health: healthJson(health.get(t.tenantId)) };
    });
    const unlisted =
      health === undefined
        ? {}
        : {
            otherHealth: [...health.values()]
              .filter((record) => !tenants.some((t) => t.tenantId === record.tenant))
              .map((record) => ({ tenant: record.tenant, ...healthJson(record) })),
          };
    const suspendedJson =
      suspensions === undefined
        ? {}
        : {
            suspensions: [...suspended.values()].map((s) => ({
              tenant: s.tenant,
              ...suspensionJson(s),
            })),
          };
    const invitationsJson = invitations === undefined ? {} : { invitations };
    io.stdout(
      `${JSON.stringify({ prefix, tenants: listed, ...suspendedJson, ...invitationsJson, ...unlisted })}\n`,
    );
    return SETUP_EXIT.ok;
  }
  if (tenants.length === 0) io.stdout(`no tenants under ${prefix}\n`);
  for (const t of tenants) {
    const s = suspended.get(t.tenantId);
    const note = s === undefined ? '' : `\t${suspensionText(s)}`;
    // New columns go last: scripts that cut the first ones keep working.
    const judged = health === undefined ? '' : `\thealth: ${healthText(health.get(t.tenantId))}`;
    io.stdout(
      `${t.tenantId}\tlast check: ${t.lastCheck ?? 'never'}\tadded by: ${t.addedBy ?? 'unknown'}${note}${judged}\n`,
    );
  }
  // Suspended IDs without a secret (removed, or the default tenant) are shown too.
  const listedIds = new Set(tenants.map((t) => t.tenantId));
  for (const s of suspended.values()) {
    if (listedIds.has(s.tenant)) continue;
    io.stdout(`${s.tenant}\t(no secret under ${prefix})\t${suspensionText(s)}\n`);
  }
  // Health of tenants without a secret here: the default tenant, or one removed since.
  for (const record of health?.values() ?? []) {
    if (listedIds.has(record.tenant)) continue;
    const where =
      record.tenant === DEFAULT_TENANT ? '(the default secret)' : `(no secret under ${prefix})`;
    io.stdout(`${record.tenant}\t${where}\thealth: ${healthText(record)}\n`);
  }
  printInvitationLines(invocation, pending ?? []);
  return SETUP_EXIT.ok;
}

function printInvitationLines(invocation: SetupInvocation, pending: readonly Invitation[]): void {
  for (const invitation of pending) {
    invocation.io.stdout(
      `${invitation.tenant}\tinvited, pending until ${new Date(invitation.expiresAtMs).toISOString()}\tinvited by: ${invitation.invitedBy}\n`,
    );
  }
}

/** The pending invitations alone, when the tenants cannot be listed; a failure here adds nothing. */
async function printPendingInvitations(invocation: SetupInvocation): Promise<void> {
  const pending = await pendingInvitations(invocation).catch(() => undefined);
  printInvitationLines(invocation, pending ?? []);
}

/** A suspension in `tenant list --json`: who and since when. */
function suspensionJson(s: Suspension): { by: string; since: string } {
  return { by: s.by, since: new Date(s.sinceMs).toISOString() };
}

/** A suspension in `tenant list`: `SUSPENDED since … by …`. */
function suspensionText(s: Suspension): string {
  return `SUSPENDED since ${new Date(s.sinceMs).toISOString()} by ${s.by}`;
}

/** Each tenant's health from the fleet state table; undefined without one. */
async function healthOf(
  invocation: SetupInvocation,
): Promise<Map<string, TenantHealthRecord> | undefined> {
  const store = invocation.tenantHealth();
  if (store === undefined) return undefined;
  try {
    return new Map((await store.list()).map((record) => [record.tenant, record]));
  } catch (error) {
    throw tableFailure(
      {
        doing: 'reading the tenants’ health',
        permission:
          'dynamodb:Query on the BOX_STATE_TABLE table, for partition key "health#" (docs/tenants.md "Health events")',
      },
      error,
      invocation.io.env,
    );
  }
}

/** `healthy since …`, `UNHEALTHY (reason) since …`, or `not judged yet`. */
function healthText(record: TenantHealthRecord | undefined): string {
  if (record === undefined) return 'not judged yet';
  const since = new Date(record.sinceMs).toISOString();
  return record.state === 'healthy'
    ? `healthy since ${since}`
    : `UNHEALTHY (${record.reason ?? 'unknown'}) since ${since}`;
}

/** The health of `--json`: state, reason and since; null when never judged. */
function healthJson(record: TenantHealthRecord | undefined) {
  if (record === undefined) return null;
  return {
    state: record.state,
    ...(record.state === 'unhealthy' && record.reason !== undefined
      ? { reason: record.reason }
      : {}),
    since: new Date(record.sinceMs).toISOString(),
  };
}

/** `tenant remove ID`: schedules the tenant's secret for deletion, with a recovery window. */
export async function removeTenant(invocation: SetupInvocation, tenantId: string): Promise<number> {
  const registry = invocation.registryFor(tenantId);
  const days = recoveryDaysOf(invocation.options);
  let deletionDate: Date | undefined;
  try {
    deletionDate = await registry.remove(tenantId, days);
  } catch (error) {
    throw awsFailure(
      {
        doing: `removing tenant ${tenantId}`,
        permission: `secretsmanager:DeleteSecret on ${registry.secretName(tenantId)}`,
        expected: {
          ResourceNotFoundException: `there is no tenant ${tenantId} under ${registry.prefix} in this region: see "tenant list"`,
        },
      },
      error,
      invocation.io.env,
    );
  }
  const secretName = registry.secretName(tenantId);
  const undo = `aws secretsmanager restore-secret --secret-id ${secretName}`;
  if (invocation.options.json === true) {
    invocation.io.stdout(
      `${JSON.stringify({ tenant: tenantId, removed: true, secretName, recoveryDays: days, deletionDate: deletionDate?.toISOString() ?? null, undo })}\n`,
    );
    return SETUP_EXIT.ok;
  }
  invocation.io.stdout(
    `tenant ${tenantId}: secret ${secretName} scheduled for deletion${deletionDate === undefined ? '' : ` on ${deletionDate.toISOString()}`} (${days}-day recovery window; undo with: ${undo})\n`,
  );
  return SETUP_EXIT.ok;
}

/**
 * Who adds the tenant, for the tag. Taken from --added-by or BOX_TENANT_ADDED_BY; otherwise the
 * local OS user, marked as such: it is not verified (no STS call; see docs/setup-check.md).
 */
export function addedByOf(invocation: SetupInvocation): string {
  const given = invocation.options['added-by'] ?? invocation.io.env.BOX_TENANT_ADDED_BY;
  if (given !== undefined && given.trim() !== '') return given.trim();
  return `os-user:${userInfo().username}`;
}
