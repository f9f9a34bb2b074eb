/**
 * The simulator's options and the state they start: the apps, the token store, the fault queue
 * and the answer settings every handler reads.
 */
import { BOX_DOWNSCOPE_SCOPES, type BoxResourceScope } from '../../lambda/contract.js';
import {
  AppRegistry,
  appState,
  type SimulatorCredentials,
  type WrongSecretAnswer,
} from './apps.js';
import { SIMULATOR_DEFAULTS } from './constants.js';
import { FaultQueue } from './faults.js';
import { TokenStore } from './tokens.js';

export interface BoxSimulatorOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 0 (an ephemeral port) */
  port?: number;
  /** The enterprise whose service account `box_subject_type=enterprise` gets. @default '1234567' */
  enterpriseId?: string;
  /** Accepted client credentials; several pairs model a rotation window. @default one demo pair */
  credentials?: readonly SimulatorCredentials[];
  /**
   * Whether `box_subject_type=user` is allowed ("Generate user access tokens"): `true` for any
   * user ID, a list for those IDs only. @default false
   */
  allowUserSubjects?: boolean | readonly string[];
  /** `expires_in` of CCG tokens. @default 3992 */
  tokenLifetimeSeconds?: number;
  /** `expires_in` of downscoped tokens. @default 4175 */
  downscopedTokenLifetimeSeconds?: number;
  /**
   * Scopes a CCG token holds (the app's configured scopes); downscoping to others is a 401.
   * @default every scope in BOX_DOWNSCOPE_SCOPES
   */
  appScopes?: readonly string[];
  /** User ID `GET /2.0/users/me` reports for the service account. @default '31000001' */
  serviceAccountUserId?: string;
  /** Millisecond clock deciding token expiry. @default Date.now */
  now?: () => number;
  /**
   * Answer 200s without `token_type`: Box's OpenAPI schema does not require it and a Box doc
   * sample omits it. @default false
   */
  omitTokenType?: boolean;
  /** How the default app refuses a wrong or reset client secret. @default 'invalid_client' */
  wrongSecretAnswer?: WrongSecretAnswer;
  /**
   * Most requests kept in {@link BoxSimulator.requests} (the oldest go first); the call counts
   * are kept apart and never forget. @default 1000
   */
  requestLogLimit?: number;
}

/** How 200 token answers look; the last two change at runtime. */
export interface TokenSettings {
  readonly tokenLifetimeSeconds: number;
  readonly downscopedLifetimeSeconds: number;
  /** Leave `token_type` out of 200 answers. */
  omitTokenType: boolean;
  /** A `restricted_to` every token exchange answers with, matching the request or not. */
  restrictedToOverride: BoxResourceScope[] | undefined;
}

/** Everything the request handlers read and change. */
export interface SimulatorState {
  readonly apps: AppRegistry;
  readonly tokens: TokenStore;
  readonly faults: FaultQueue;
  readonly settings: TokenSettings;
  readonly now: () => number;
}

/** The starting state the options describe (their apps: the default one only). */
export function simulatorState(options: BoxSimulatorOptions): SimulatorState {
  const now = options.now ?? Date.now;
  const defaultApp = appState({
    credentials: [
      ...(options.credentials ?? [
        { clientId: SIMULATOR_DEFAULTS.clientId, clientSecret: SIMULATOR_DEFAULTS.clientSecret },
      ]),
    ],
    enterpriseId: options.enterpriseId ?? SIMULATOR_DEFAULTS.enterpriseId,
    serviceAccountUserId: options.serviceAccountUserId ?? SIMULATOR_DEFAULTS.serviceAccountUserId,
    scopes: options.appScopes ?? BOX_DOWNSCOPE_SCOPES,
    userSubjects: options.allowUserSubjects ?? false,
    misconfigurations: [],
    ...(options.wrongSecretAnswer === undefined
      ? {}
      : { wrongSecretAnswer: options.wrongSecretAnswer }),
  });
  return {
    apps: new AppRegistry(defaultApp),
    tokens: new TokenStore(now),
    faults: new FaultQueue(),
    settings: {
      tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? SIMULATOR_DEFAULTS.tokenLifetimeSeconds,
      downscopedLifetimeSeconds:
        options.downscopedTokenLifetimeSeconds ?? SIMULATOR_DEFAULTS.downscopedTokenLifetimeSeconds,
      omitTokenType: options.omitTokenType ?? false,
      restrictedToOverride: undefined,
    },
    now,
  };
}
