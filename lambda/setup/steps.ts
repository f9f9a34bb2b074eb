/**
 * The setup guide as a checklist: every step the setup check decides, in the guide's order, with
 * what decides it (documented or observed Box behaviour, docs/box.md) and the exact fix. One
 * table: the CLI, the JSON result and the docs read it.
 */
import { BOX_DOWNSCOPE_SCOPES } from '../contract.js';

/** Where the admin fixes things. */
const DEV_CONSOLE = 'Box Developer Console (https://app.box.com/developers/console) > your app';
/** Today's Admin Console path to server apps (docs/box.md "Admin Console paths"). */
const SERVER_APPS =
  'Admin Console > Integrations > Platform Apps Manager > Server Authentication Apps (older consoles: Apps > Custom Apps Manager)';
const REAUTHORIZE = `Then a Box admin must re-authorise the app: ${SERVER_APPS} > the app's menu > Reauthorize App. Box issues the new scopes only to tokens requested after that; the broker takes a fresh token by itself when Box refuses an exchange.`;

/** A fixed step of the checklist (a required scope adds `scope:<name>` steps). */
export type FixedStepId =
  | 'ccg'
  | 'as_user'
  | 'user_tokens'
  | 'credentials'
  | 'authorized'
  | 'enterprise_id'
  | 'service_account';

/** A step's identifier: a fixed step or `scope:<scope>`. */
export type SetupStepId = FixedStepId | `scope:${string}`;

/**
 * What the verdict rests on: Box's documentation, answers reported by people who saw them, or a
 * conclusion the check drew from other answers (e.g. the enterprise ID is wrong because the same
 * credentials got a user token).
 */
export type EvidenceBasis = 'documented' | 'observed' | 'inferred';

/** A checklist row's fixed description. */
export interface StepDefinition {
  title: string;
  /** The setup guide's step it verifies (1 = create the app). */
  guideStep: number;
  basis: EvidenceBasis;
  /** Where Box's deciding answer is recorded. */
  source: string;
  /** The fix when the step fails. */
  fix: string;
  /** The mistake, as one cause among several ("one of: …"). */
  cause: string;
}

/** Every fixed step, keyed by id; the checklist order is {@link STEP_ORDER}. */
export const STEPS: Readonly<Record<FixedStepId, StepDefinition>> = {
  ccg: {
    title: 'The app uses Server Authentication (Client Credentials Grant)',
    guideStep: 1,
    basis: 'observed',
    source:
      'unauthorized_client/invalid_request "The grant type is unauthorized for this client_id" (KB 360044193033); "The box_subject_type value is unauthorized" (post 7814447391763)',
    cause: 'the app does not use Client Credentials Grant',
    fix: `${DEV_CONSOLE} > Configuration tab: the Server Authentication Method must be "Client Credentials Grant". A JWT app can be switched there, with multi-factor authentication, once a Box admin allows it (Admin Console > Enterprise Settings > Platform Apps > "Allow developers to switch server app auth type for existing apps", off by default for enterprises); no re-authorisation is needed after the switch, but the JWT keys are revoked. Any other app (Standard OAuth 2.0, Limited Access) cannot be switched: create a new one (Developer Console > Create Platform App > Platform App > Server Authentication (Client Credentials Grant)), have it authorised, and use its client ID and secret.`,
  },
  as_user: {
    title: '"Perform Actions as Users" works (As-User header)',
    guideStep: 3,
    basis: 'observed',
    source:
      '403 WWW-Authenticate error="insufficient_scope" for As-User without the feature (support posts 360049157874, 26735203602323; box-python-sdk#243); preconditions documented in DOCS as-user.md',
    cause: '"Perform Actions as Users" is off',
    fix: `${DEV_CONSOLE} > Configuration tab > Advanced Features: enable "Make API calls using the as-user header", and App Access Level "App + Enterprise Access". ${REAUTHORIZE} The --as-user ID must be a managed user of this enterprise, not the service account.`,
  },
  user_tokens: {
    title: '"Generate user access tokens" works (box_subject_type=user)',
    guideStep: 3,
    basis: 'documented',
    source: 'invalid_grant "Grant credentials are invalid" (DOCS client-credentials/index.md)',
    cause: '"Generate user access tokens" is off (or App Access Only for a managed user)',
    fix: `${DEV_CONSOLE} > Configuration tab > Advanced Features: enable "Generate user access tokens"; for a managed user or admin also App Access Level "App + Enterprise Access". ${REAUTHORIZE}`,
  },
  credentials: {
    title: 'The client ID and client secret are right',
    guideStep: 4,
    basis: 'documented',
    source:
      'invalid_client "The client credentials are invalid" (developer.box.com PR #902); Box\'s CCG guide documents a wrong or mismatched secret as invalid_grant "Grant credentials are invalid" instead, which the check reports under "The enterprise ID is right" as one of its causes',
    cause: 'the client secret does not match the client ID',
    fix: `${DEV_CONSOLE} > Configuration tab > OAuth 2.0 Credentials: copy the Client ID and use "Fetch Client Secret" (needs 2FA on your Box account). If the secret was reset, every copy must be updated.`,
  },
  authorized: {
    title: 'The app is authorised by the enterprise admin',
    guideStep: 5,
    basis: 'documented',
    source:
      'unauthorized_client "This app is not authorized by the enterprise admin" (developer.box.com PR #902, pages/platform/user-types; seen in boxcli#154, box-java-sdk#799)',
    cause: 'the app is not authorised, or not re-authorised after a change, in the Admin Console',
    fix: `${DEV_CONSOLE} > Authorization tab > Review and Submit; then a Box admin: ${SERVER_APPS} > Add App (by client ID) > Authorize. If the enterprise has "Disable unpublished apps by default" on, the admin must also enable the app there. After any change to the app's scopes or access level: Reauthorize App in the same place.`,
  },
  enterprise_id: {
    title: 'The enterprise ID is right',
    guideStep: 6,
    basis: 'documented',
    source: 'invalid_grant "Grant credentials are invalid" (DOCS client-credentials/index.md)',
    cause: 'the enterprise ID is wrong',
    fix: `Use the ID (digits only) of the enterprise that authorised the app. It is in Admin Console > Account & Billing > Account Information > Enterprise ID, in ${DEV_CONSOLE} > General Settings tab, and in the answer of GET https://api.box.com/2.0/users/me?fields=enterprise with any token of that enterprise.`,
  },
  service_account: {
    title: "The service account's token works (GET /2.0/users/me)",
    guideStep: 7,
    basis: 'documented',
    source: 'GET /2.0/users/me (OAS); 401 invalid_token (box-node-sdk#157)',
    cause: 'Box does not accept its own token',
    fix: 'Box issued a token it does not accept. Request a new token and run the check again; if it persists, re-authorise the app in the Admin Console.',
  },
};

/** The checklist order: the setup guide's. Scope steps sit at {@link SCOPE_STEPS_AFTER}. */
export const STEP_ORDER: readonly FixedStepId[] = [
  'ccg',
  'as_user',
  'user_tokens',
  'credentials',
  'authorized',
  'enterprise_id',
  'service_account',
];

/** Scope steps come right after this step (guide step 2: "set the scopes"). */
export const SCOPE_STEPS_AFTER: FixedStepId = 'ccg';

/**
 * Console names of the app scopes the check can verify (Configuration tab > Application Scopes),
 * as Box's scopes guide gives them (docs/box.md "Downscoping scopes"): "Manage users" stands for
 * both `manage_managed_users` and `manage_app_users`.
 */
const CONSOLE_SCOPE_NAMES: Readonly<Record<string, string>> = {
  root_readonly: 'Read all files and folders stored in Box',
  root_readwrite: 'Read and write all files and folders stored in Box',
  manage_managed_users: 'Manage users',
  manage_app_users: 'Manage users',
  manage_groups: 'Manage groups',
  manage_webhook: 'Manage webhooks',
  manage_enterprise_properties: 'Manage enterprise properties',
  manage_data_retention: 'Manage retention policies',
  'ai.readwrite': 'Manage AI',
  'sign_requests.readwrite': 'Manage signature requests',
};

/** Friendly names accepted by `--require`. */
const SCOPE_ALIASES: Readonly<Record<string, string>> = {
  read_all_files: 'root_readonly',
  write_all_files: 'root_readwrite',
};

/** The scope whose check is a harmless read of the root folder instead of a token exchange. */
export const ROOT_READ_SCOPE = 'root_readonly';

/**
 * Reads `--require` values (space- or comma-separated Box scopes or aliases) into Box scope names.
 * Only scopes Box allows in a token exchange can be checked; anything else is refused by name.
 */
export function parseRequiredScopes(
  values: readonly string[],
): { scopes: string[] } | { unknown: string[] } {
  const known: ReadonlySet<string> = new Set(BOX_DOWNSCOPE_SCOPES);
  const scopes: string[] = [];
  const unknown: string[] = [];
  for (const word of values.flatMap((value) => value.split(/[\s,]+/))) {
    if (word === '') continue;
    const scope = SCOPE_ALIASES[word] ?? word;
    if (!known.has(scope)) unknown.push(word);
    else if (!scopes.includes(scope)) scopes.push(scope);
  }
  return unknown.length > 0 ? { unknown } : { scopes };
}

/** The checklist row of a required scope. */
export function scopeStep(scope: string): StepDefinition {
  const consoleName = CONSOLE_SCOPE_NAMES[scope];
  const named = consoleName === undefined ? `"${scope}"` : `"${consoleName}" (${scope})`;
  const where =
    consoleName === undefined
      ? `the Application Scopes that include ${scope} (item_* scopes come from "Read all files and folders stored in Box" or "Read and write all files and folders stored in Box")`
      : `"${consoleName}"`;
  const byRead = scope === ROOT_READ_SCOPE;
  return {
    title: `The app holds the scope ${named}`,
    guideStep: 2,
    basis: byRead ? 'observed' : 'documented',
    source: byRead
      ? 'GET /2.0/folders/0 answered 403 WWW-Authenticate error="insufficient_scope" (support post 360049157874; box-python-sdk#243)'
      : 'token exchange to a scope the token lacks "will error with 401 Unauthorized" (OAS PostOAuth2Token.scope)',
    fix: `${DEV_CONSOLE} > Configuration tab > Application Scopes: tick ${where} and Save Changes. ${REAUTHORIZE}`,
    cause: `the app lacks ${scope}`,
  };
}
