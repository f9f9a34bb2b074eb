/**
 * `box-token-broker tenant suspend|resume ID` (contract v1.2 fleet state): stops or restarts
 * serving a tenant in every execution environment within BOX_STATE_SYNC_SECONDS, through the
 * fleet state table (BOX_STATE_TABLE). Suspending never touches the tenant's secret; its admitted
 * callers get `403 tenant_suspended` until `resume`.
 */
import { userInfo } from 'node:os';
import { DEFAULT_TENANT } from '../../lambda/contract.js';
import type { FleetControlStore, Suspension } from '../../lambda/state/ports.js';
import { tableFailure } from './aws-failure.js';
import { SETUP_EXIT, SetupCliFailure } from './exit-codes.js';
import type { SetupInvocation } from './invocation.js';
import { tenantIdProblem } from './tenant-registry.js';

const TABLE_PERMISSION =
  'dynamodb:PutItem, DeleteItem and Query on the BOX_STATE_TABLE table, for partition key "fleet#" (docs/fleet-state.md "Permissions")';

/** `tenant suspend ID`. */
export function suspendTenant(invocation: SetupInvocation, tenantId: string): Promise<number> {
  return setSuspended(invocation, tenantId, true);
}

/** `tenant resume ID`. */
export function resumeTenant(invocation: SetupInvocation, tenantId: string): Promise<number> {
  return setSuspended(invocation, tenantId, false);
}

async function setSuspended(
  invocation: SetupInvocation,
  tenantId: string,
  suspended: boolean,
): Promise<number> {
  // Any tenant ID, `default` included: the default tenant can be suspended too.
  if (tenantId !== DEFAULT_TENANT) {
    const problem = tenantIdProblem(tenantId);
    if (problem !== undefined) throw new SetupCliFailure(SETUP_EXIT.usage, problem);
  }
  const controls = fleetControls(invocation);
  const by = byOf(invocation);
  const verb = suspended ? 'suspending' : 'resuming';
  try {
    if (suspended) await controls.suspend(tenantId, by);
    else await controls.resume(tenantId, by);
  } catch (error) {
    throw stateFailure(invocation, `${verb} tenant ${tenantId}`, error);
  }
  if (invocation.options.json === true) {
    invocation.printJson({ tenant: tenantId, suspended, by });
  } else {
    invocation.io.stdout(
      `tenant ${tenantId} ${suspended ? 'suspended' : 'resumed'} (by ${by}): every environment ${suspended ? 'answers 403 tenant_suspended' : 'serves it again'} within the function's BOX_STATE_SYNC_SECONDS (default 5 s)\n`,
    );
  }
  return SETUP_EXIT.ok;
}

/**
 * The suspended tenants, for `tenant list`; undefined without BOX_STATE_TABLE (no fleet state
 * configured here: nothing to show).
 */
export async function suspensionsOf(
  invocation: SetupInvocation,
): Promise<Suspension[] | undefined> {
  if (invocation.io.env.BOX_STATE_TABLE?.trim() === undefined) return undefined;
  if (invocation.io.env.BOX_STATE_TABLE.trim() === '') return undefined;
  try {
    return await fleetControls(invocation).suspensions();
  } catch (error) {
    throw stateFailure(invocation, 'reading the suspended tenants', error);
  }
}

function fleetControls(invocation: SetupInvocation): FleetControlStore {
  const controls = invocation.fleetControls();
  if (controls === undefined) {
    throw new SetupCliFailure(
      SETUP_EXIT.usage,
      'BOX_STATE_TABLE is not set: suspensions live in the fleet state table (its name is the stack output StateTableName, or the function’s BOX_STATE_TABLE).',
    );
  }
  return controls;
}

/** An AWS failure of the table. */
function stateFailure(invocation: SetupInvocation, doing: string, error: unknown): SetupCliFailure {
  return tableFailure({ doing, permission: TABLE_PERMISSION }, error, invocation.io.env);
}

/** Who suspends or resumes: --added-by or BOX_TENANT_ADDED_BY, else the (unverified) OS user. */
function byOf(invocation: SetupInvocation): string {
  const given = invocation.options['added-by'] ?? invocation.io.env.BOX_TENANT_ADDED_BY;
  if (given !== undefined && given.trim() !== '') return given.trim();
  return `os-user:${userInfo().username}`;
}
