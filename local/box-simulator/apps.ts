/**
 * The Box apps the simulator serves: each with its own client ID/secret, enterprise, service
 * account, scopes and set of setup mistakes ({@link AppMisconfiguration}), and the registry that
 * finds the app a request's `client_id` belongs to.
 */
import { BOX_DOWNSCOPE_SCOPES } from '../../lambda/contract.js';
import { SIMULATOR_DEFAULTS } from './constants.js';

/** A client ID / secret pair the simulator accepts. */
export interface SimulatorCredentials {
  clientId: string;
  clientSecret: string;
  /**
   * `false` models an app whose authentication method is not Client Credentials Grant (JWT,
   * OAuth 2.0): Box refuses `grant_type=client_credentials` for it with `invalid_request` "The
   * grant type is unauthorized for this client_id.". @default true
   */
  clientCredentialsGrant?: boolean;
}

/**
 * A setup mistake of one Box app, switched on per app; each makes the simulator answer exactly as
 * BOX-OAUTH.md records Box answering it.
 * - `not_ccg`: the app does not use Server Authentication (Client Credentials Grant):
 *   `client_credentials` is answered `invalid_request` "The grant type is unauthorized for this
 *   client_id." (§3; PR #902 lists it under `invalid_request`).
 * - `secret_reset`: the client secret was reset in the Developer Console, so the old one is
 *   answered `invalid_client` (§3).
 * - `not_authorized`: never authorised in the Admin Console: `unauthorized_client` "This app is not
 *   authorized by the enterprise admin" (§3, boxcli#154).
 * - `not_reauthorized`: changed after authorisation and not re-authorised: `invalid_grant` "Grant
 *   credentials are invalid" (§3, §8.1), for every subject.
 * - `as_user_off`: "Perform Actions as Users" off: an `As-User` API call is a 403 with
 *   `WWW-Authenticate: … error="insufficient_scope"` (observed, support posts 360049157874,
 *   26735203602323; box-python-sdk#243).
 * - `user_tokens_off`: "Generate user access tokens" off: `box_subject_type=user` is `invalid_grant`
 *   (§1, §8.1).
 *
 * A missing scope is modelled by the app's `scopes`; a wrong enterprise ID needs no switch (any
 * other enterprise is `invalid_grant`).
 */
export type AppMisconfiguration =
  | 'not_ccg'
  | 'secret_reset'
  | 'not_authorized'
  | 'not_reauthorized'
  | 'as_user_off'
  | 'user_tokens_off';

/** Every {@link AppMisconfiguration}, for tests that walk them all. */
export const APP_MISCONFIGURATIONS: readonly AppMisconfiguration[] = [
  'not_ccg',
  'secret_reset',
  'not_authorized',
  'not_reauthorized',
  'as_user_off',
  'user_tokens_off',
];

/** A further Box app the simulator serves ({@link BoxSimulator.addApp}). */
export interface SimulatorAppOptions {
  clientId: string;
  clientSecret: string;
  enterpriseId: string;
  /** @default a unique ID per app */
  serviceAccountUserId?: string;
  /** The app's configured scopes. @default every scope in BOX_DOWNSCOPE_SCOPES */
  scopes?: readonly string[];
  /** Setup mistakes this app has. @default none: a correctly set-up app */
  misconfigurations?: readonly AppMisconfiguration[];
}

/** One app's live configuration; changes apply to the next request. */
export interface SimulatorApp {
  readonly enterpriseId: string;
  readonly serviceAccountUserId: string;
  /** Switches misconfigurations on (adds to the set). */
  misconfigure(...misconfigurations: AppMisconfiguration[]): void;
  /** Replaces the set of misconfigurations (`[]` = a correct app). */
  setMisconfigurations(misconfigurations: readonly AppMisconfiguration[]): void;
  /** The misconfigurations switched on. */
  misconfigurations(): readonly AppMisconfiguration[];
  /** Replaces the app's scopes. */
  setScopes(scopes: readonly string[]): void;
}

/** An app as the handlers see it: its public face plus the fields they decide on. */
export interface AppState extends SimulatorApp {
  credentials: SimulatorCredentials[];
  scopes: readonly string[];
  /** "Generate user access tokens": any user, only these IDs, or none. */
  userSubjects: boolean | readonly string[];
  broken: Set<AppMisconfiguration>;
}

/** The fields an {@link AppState} starts from. */
export interface AppFields {
  credentials: SimulatorCredentials[];
  enterpriseId: string;
  serviceAccountUserId: string;
  scopes: readonly string[];
  userSubjects: boolean | readonly string[];
  misconfigurations: readonly AppMisconfiguration[];
}

/** A live app from its starting fields. */
export function appState(fields: AppFields): AppState {
  const state: AppState = {
    credentials: fields.credentials,
    enterpriseId: fields.enterpriseId,
    serviceAccountUserId: fields.serviceAccountUserId,
    scopes: fields.scopes,
    userSubjects: fields.userSubjects,
    broken: new Set(fields.misconfigurations),
    misconfigure(...misconfigurations) {
      for (const m of misconfigurations) state.broken.add(m);
    },
    setMisconfigurations(misconfigurations) {
      state.broken = new Set(misconfigurations);
    },
    misconfigurations() {
      return [...state.broken];
    },
    setScopes(scopes) {
      state.scopes = [...scopes];
    },
  };
  return state;
}

/** The apps served, the default one first; tokens are bound to the app that obtained them. */
export class AppRegistry {
  readonly defaultApp: AppState;
  readonly #apps: AppState[];

  constructor(defaultApp: AppState) {
    this.defaultApp = defaultApp;
    this.#apps = [defaultApp];
  }

  /**
   * Serves one more app. It allows user subjects and As-User unless misconfigured. A client ID
   * already served is refused: two apps must not share one.
   */
  add(options: SimulatorAppOptions): AppState {
    if (this.find(options.clientId) !== undefined) {
      throw new Error('The Box simulator already serves an app with this client ID.');
    }
    const app = appState({
      credentials: [{ clientId: options.clientId, clientSecret: options.clientSecret }],
      enterpriseId: options.enterpriseId,
      serviceAccountUserId:
        options.serviceAccountUserId ??
        String(Number(SIMULATOR_DEFAULTS.serviceAccountUserId) + this.#apps.length),
      scopes: options.scopes ?? BOX_DOWNSCOPE_SCOPES,
      userSubjects: true,
      misconfigurations: options.misconfigurations ?? [],
    });
    this.#apps.push(app);
    return app;
  }

  /** The app with this client ID, if served. */
  find(clientId: string | undefined): AppState | undefined {
    return this.#apps.find((app) => app.credentials.some((c) => c.clientId === clientId));
  }

  /** The app whose client ID and secret these are (a reset secret is no longer accepted). */
  accepted(form: Readonly<Record<string, string>>): AppState | undefined {
    const app = this.find(form.client_id);
    if (app === undefined || app.broken.has('secret_reset')) return undefined;
    const match = app.credentials.some(
      (c) => c.clientId === form.client_id && c.clientSecret === form.client_secret,
    );
    return match ? app : undefined;
  }
}
