/**
 * The setup guide as a checklist: every step the setup check decides, in the guide's order, with
 * what decides it (documented or observed Box behaviour, BOX-OAUTH.md) and the exact fix. One
 * table: the CLI, the JSON result and the docs read it.
 */
import { BOX_DOWNSCOPE_SCOPES } from '../contract.js';

/** Where the admin fixes things. */
const DEV_CONSOLE = 'Box Developer Console (https://app.box.com/developers/console) > your app';
const REAUTHORIZE =
  'Then a Box admin must re-authorise the app: Admin Console > Apps > Custom Apps Manager (newer consoles: Integrations > Platform Apps Manager) > the app > Reauthorize App.';

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

/** What the verdict rests on: Box's documentation, or answers reported by people who saw them. */
export type EvidenceBasis = 'documented' | 'observed';

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
    fix: `${DEV_CONSOLE} > Configuration tab > Authentication Method must be "Server Authentication (Client Credentials Grant)". A Standard OAuth 2.0 or Limited Access app cannot be switched: create a new app (Developer Console > Create New App > Custom App > Server Authentication (Client Credentials Grant)) and use its client ID and secret. A JWT app can be switched on the same tab.`,
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
    source: 'invalid_client "The client credentials are invalid" (developer.box.com PR #902)',
    cause: 'the client secret does not match the client ID',
    fix: `${DEV_CONSOLE} > Configuration tab > OAuth 2.0 Credentials: copy the Client ID and use "Fetch Client Secret" (needs 2FA on your Box account). If the secret was reset, every copy must be updated.`,
  },
  authorized: {
    title: 'The app is authorised by the enterprise admin',
    guideStep: 5,
    basis: 'observed',
    source:
      'unauthorized_client "This app is not authorized by the enterprise admin" (boxcli#154, box-java-sdk#799)',
    cause: 'the app is not authorised, or not re-authorised after a change, in the Admin Console',
    fix: `${DEV_CONSOLE} > Authorization tab > Review and Submit; then a Box admin: Admin Console > Apps > Custom Apps Manager (newer consoles: Integrations > Platform Apps Manager) > Add App (by client ID) > Authorize.`,
  },
  enterprise_id: {
    title: 'The enterprise ID is right',
    guideStep: 6,
    basis: 'documented',
    source: 'invalid_grant "Grant credentials are invalid" (DOCS client-credentials/index.md)',
    cause: 'the enterprise ID is wrong',
    fix: 'Use the enterprise ID from Admin Console > Account & Billing > Account Information > Enterprise ID (digits only): the enterprise that authorised the app.',
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

/** Console names of the app scopes the check can verify (Configuration tab > Application Scopes). */
const CONSOLE_SCOPE_NAMES: Readonly<Record<string, string>> = {
  root_readonly: 'Read all files and folders stored in Box',
  root_readwrite: 'Write all files and folders stored in Box',
  manage_managed_users: 'Manage users',
  manage_app_users: 'Manage app users',
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
      ? `the Application Scopes that include ${scope} (item_* scopes come from "Read/Write all files and folders")`
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
