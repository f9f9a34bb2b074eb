import { parseArgs } from 'node:util';
import { parseRequiredScopes } from '../../lambda/setup/steps.js';
import { SETUP_EXIT, SetupCliFailure } from './exit-codes.js';
import { DEFAULT_TENANT_PREFIX, RECOVERY_DAYS } from './tenant-registry.js';

export const SETUP_USAGE = `Usage:
  box-token-broker validate-policy FILE
  box-token-broker check [--secret NAME | --tenant ID] [--as-user ID] [--require SCOPE]... [--json]
  box-token-broker tenant add ID [--as-user ID] [--require SCOPE]... [--added-by WHO] [--json]
  box-token-broker tenant check ID [--as-user ID] [--require SCOPE]... [--json]
  box-token-broker tenant invite ID --url BROKER_URL [--expires HOURS] [--require SCOPE]... [--json]
  box-token-broker tenant invite --revoke ID [--json]
  box-token-broker tenant list [--json]
  box-token-broker tenant remove ID [--recovery-days N] [--json]
  box-token-broker tenant suspend ID [--added-by WHO] [--json]
  box-token-broker tenant resume ID [--added-by WHO] [--json]
  box-token-broker --help

Credentials (check): --secret NAME or --tenant ID (Secrets Manager, your AWS credentials and
AWS_REGION), else BOX_CLIENT_ID / BOX_CLIENT_SECRET / BOX_ENTERPRISE_ID, else a prompt (the
client secret is read without echo). tenant add takes them from those variables or the prompt.
Box: BOX_API_URL (default https://api.box.com). Tenant secrets: <prefix><ID>, prefix from
--tenant-prefix or BOX_TENANT_SECRET_PREFIX (default ${DEFAULT_TENANT_PREFIX}).
--require: Box scopes, e.g. root_readonly (alias read_all_files), root_readwrite, manage_managed_users.
--timeout SECONDS: the whole check's budget (default 30).
suspend/resume (and suspensions in list): the fleet state table BOX_STATE_TABLE (your AWS
credentials and AWS_REGION; AWS_ENDPOINT_URL_DYNAMODB locally); every environment within
BOX_STATE_SYNC_SECONDS.
--json: every outcome is one JSON document on stdout, failures too ({"error","message","exitCode"}).
tenant invite: a one-time link BROKER_URL/onboard#CODE for the customer's Box admin (docs/onboarding.md),
valid --expires hours (default 72, at most 168); needs BOX_STATE_TABLE. tenant list also shows
pending invitations when BOX_STATE_TABLE is set.
validate-policy: checks an access policy file as cdk synth and the function do (docs/access-policy.md).

Exit codes: 0 pass, 1 a required step failed (validate-policy: the policy is invalid), 2 usage,
3 inconclusive (Box did not answer), 4 credentials unavailable, 5 AWS call failed.`;

/** The command line split into options and positionals; throws on an unknown option. */
export function parseSetupArguments(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    strict: true,
    allowPositionals: true,
    options: {
      secret: { type: 'string' },
      tenant: { type: 'string' },
      'tenant-prefix': { type: 'string' },
      'as-user': { type: 'string' },
      require: { type: 'string', multiple: true },
      'added-by': { type: 'string' },
      'recovery-days': { type: 'string' },
      url: { type: 'string' },
      expires: { type: 'string' },
      revoke: { type: 'boolean' },
      timeout: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/** The options of one setup command, as parsed (strings, unchecked). */
export type SetupOptions = ReturnType<typeof parseSetupArguments>['values'];

/** What a setup check run is asked to do, checked. */
export interface CheckRunOptions {
  /** Box scope names (aliases resolved). */
  requiredScopes: string[];
  asUserId: string | undefined;
  timeoutSeconds: number;
}

/** `--require`, `--as-user` and `--timeout`, checked; a bad one is a usage failure. */
export function checkRunOptions(options: SetupOptions): CheckRunOptions {
  const scopes = parseRequiredScopes(options.require ?? []);
  if ('unknown' in scopes) {
    throw new SetupCliFailure(
      SETUP_EXIT.usage,
      `--require: unknown Box scope(s) ${scopes.unknown.join(', ')}`,
    );
  }
  const asUser = options['as-user'];
  if (asUser !== undefined && !/^\d{1,20}$/.test(asUser)) {
    throw new SetupCliFailure(SETUP_EXIT.usage, '--as-user must be a Box user ID (digits)');
  }
  const timeout = options.timeout ?? '30';
  if (!/^\d{1,3}$/.test(timeout) || Number(timeout) < 1) {
    throw new SetupCliFailure(SETUP_EXIT.usage, '--timeout must be 1 to 999 seconds');
  }
  return { requiredScopes: scopes.scopes, asUserId: asUser, timeoutSeconds: Number(timeout) };
}

/** `--recovery-days`, checked against Secrets Manager's bounds. */
export function recoveryDaysOf(options: SetupOptions): number {
  const raw = options['recovery-days'] ?? String(RECOVERY_DAYS.default);
  const days = /^\d{1,2}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(days >= RECOVERY_DAYS.min && days <= RECOVERY_DAYS.max)) {
    throw new SetupCliFailure(
      SETUP_EXIT.usage,
      `--recovery-days must be ${RECOVERY_DAYS.min} to ${RECOVERY_DAYS.max}`,
    );
  }
  return days;
}
