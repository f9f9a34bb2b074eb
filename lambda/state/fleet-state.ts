/**
 * The fleet state of one deployment: the table and the key, and the stores built on them. The
 * composition root (lambda/runtime.ts) and the operator CLI build it here; the health and
 * onboarding stores build on {@link FleetState.table}.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import type { FleetControlStore, SharedTokenStore, TenantHealthStore } from './ports.js';
import { STATE_CALL_TIMEOUT_MS } from './state-call.js';
import { StateTable } from './state-table.js';
import { TableFleetControls } from './table-fleet-controls.js';
import { TableInvitationStore } from './table-invitations.js';
import { TableTenantHealth } from './table-tenant-health.js';
import { TableTokenStore } from './table-token-store.js';
import { KmsTokenSealer } from './token-sealer.js';

export interface FleetStateOptions {
  /** `BOX_STATE_TABLE`. */
  tableName: string;
  /** `BOX_STATE_KMS_KEY`. */
  kmsKeyId: string;
  now: () => number;
  /** Clients (tests); default: the standard chain (region, credentials, AWS_ENDPOINT_URL_*). */
  dynamodb?: DynamoDBClient;
  kms?: KMSClient;
  /**
   * Timeout of one call. The function keeps the short default (a slow table must not hold a
   * request); the CLI, which has no request deadline, passes a longer one.
   */
  callTimeoutMs?: number;
}

export interface FleetState {
  table: StateTable;
  tokens: SharedTokenStore;
  controls: FleetControlStore;
}

/**
 * Attempts per state call, the first included. The SDK's own retries (with back-off on
 * throttling) stay inside the call's short timeout; more would only spend the request's deadline.
 */
export const STATE_MAX_ATTEMPTS = 2;

/**
 * The table alone, for what needs no key: the operator CLI (suspensions, invitations, health)
 * and the stores of the other item families. The CLI has no request deadline: it passes a long
 * `callTimeoutMs` and keeps the SDK's default retries.
 */
export function buildStateTable(options: {
  tableName: string;
  dynamodb?: DynamoDBClient;
  callTimeoutMs?: number;
}): StateTable {
  return new StateTable({
    client: options.dynamodb ?? new DynamoDBClient({}),
    tableName: options.tableName,
    callTimeoutMs: options.callTimeoutMs ?? STATE_CALL_TIMEOUT_MS,
  });
}

/** The table for an operator's CLI call: no request deadline, a generous timeout per call. */
function operatorTable(tableName: string): StateTable {
  return buildStateTable({ tableName, callTimeoutMs: OPERATOR_CALL_TIMEOUT_MS });
}

/** The fleet controls for an operator: suspend, resume, list (no key needed). */
export function operatorFleetControls(tableName: string, now: () => number = Date.now) {
  return new TableFleetControls({ table: operatorTable(tableName), now });
}

/** The onboarding invitations for an operator: invite, revoke, list (no key needed). */
export function operatorInvitations(tableName: string, now: () => number = Date.now) {
  return new TableInvitationStore({ table: operatorTable(tableName), now });
}

/** Each tenant's health for an operator (`tenant list`): the table alone, no key needed. */
export function operatorTenantHealth(tableName: string): TenantHealthStore {
  return new TableTenantHealth(operatorTable(tableName));
}

/** An operator's call may take this long (a cold client resolving credentials, a far region). */
export const OPERATOR_CALL_TIMEOUT_MS = 10_000;

/** Builds the stores of one table and key. Clients connect lazily: building costs no call. */
export function buildFleetState(options: FleetStateOptions): FleetState {
  const dynamodb = options.dynamodb ?? new DynamoDBClient({ maxAttempts: STATE_MAX_ATTEMPTS });
  const kms = options.kms ?? new KMSClient({ maxAttempts: STATE_MAX_ATTEMPTS });
  const callTimeoutMs = options.callTimeoutMs ?? STATE_CALL_TIMEOUT_MS;
  const table = new StateTable({ client: dynamodb, tableName: options.tableName, callTimeoutMs });
  const sealer = new KmsTokenSealer({ client: kms, keyId: options.kmsKeyId, callTimeoutMs });
  return {
    table,
    tokens: new TableTokenStore({ table, sealer, now: options.now }),
    controls: new TableFleetControls({ table, now: options.now }),
  };
}
