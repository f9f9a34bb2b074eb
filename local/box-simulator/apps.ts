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
 * docs/box.md records Box answering it.
 * - `not_ccg`: the app does not use Server Authentication (Client Credentials Grant):
 *   `client_credentials` is answered `invalid_request` "The grant type is unauthorized for this
 *   client_id." (PR #902 lists it under `invalid_request`).
 * - `secret_reset`: the client secret was reset in the Developer Console, so the old one is
 *   refused with the app's {@link WrongSecretAnswer} (docs/box.md "A wrong or reset client secret").
 * - `not_authorized`: never authorised in the Admin Console: `unauthorized_client` "This app is not
 *   authorized by the enterprise admin" (PR #902, boxcli#154).
 * - `not_reauthorized`: changed after authorisation and not re-authorised: `invalid_grant` "Grant
 *   credentials are invalid" (the CCG guide), for every subject.
 * - `as_user_off`: "Perform Actions as Users" off: an `As-User` API call is a 403 with
 *   `WWW-Authenticate: … error="insufficient_scope"` (observed, support posts 360049157874,
 *   26735203602323; box-python-sdk#243).
 * - `user_tokens_off`: "Generate user access tokens" off: `box_subject_type=user` is `invalid_grant`
 *   (the CCG guide).
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

/**
 * How Box refuses a client secret that does not match a known client ID (a wrong or reset one).
 * Box documents both answers: `400 invalid_grant` "Grant credentials are invalid" (the CCG guide)
 * and `400 invalid_client` "The client credentials are invalid" (developer.box.com PR #902), and
 * does not say which comes when; each simulated app picks one, so the broker is tested under both.
 */
export type WrongSecretAnswer = 'invalid_client' | 'invalid_grant';

/** Every {@link WrongSecretAnswer}, for tests that run under both. */
export const WRONG_SECRET_ANSWERS: readonly WrongSecretAnswer[] = [
  'invalid_client',
  'invalid_grant',
];

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
  /** How a wrong or reset client secret is refused. @default 'invalid_client' */
  wrongSecretAnswer?: WrongSecretAnswer;
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
  /**
   * An admin re-authorises the app after its scopes changed: tokens issued from now on hold
   * `scopes`; tokens issued before keep the scopes they were issued with, so an exchange from such
   * a parent to a newly approved scope is refused (401), as Box's approval guide warns ("request a
   * new token" after re-authorising). Clears `not_reauthorized`.
   */
  reauthorize(scopes: readonly string[]): void;
  /** Changes how a wrong or reset client secret is refused. */
  setWrongSecretAnswer(answer: WrongSecretAnswer): void;
}

/** An app as the handlers see it: its public face plus the fields they decide on. */
export interface AppState extends SimulatorApp {
  credentials: SimulatorCredentials[];
  scopes: readonly string[];
  /** "Generate user access tokens": any user, only these IDs, or none. */
  userSubjects: boolean | readonly string[];
  broken: Set<AppMisconfiguration>;
  wrongSecretAnswer: WrongSecretAnswer;
}

/** The fields an {@link AppState} starts from. */
export interface AppFields {
  credentials: SimulatorCredentials[];
  enterpriseId: string;
  serviceAccountUserId: string;
  scopes: readonly string[];
  userSubjects: boolean | readonly string[];
  misconfigurations: readonly AppMisconfiguration[];
  wrongSecretAnswer?: WrongSecretAnswer;
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
    wrongSecretAnswer: fields.wrongSecretAnswer ?? 'invalid_client',
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
    reauthorize(scopes) {
      state.scopes = [...scopes];
      state.broken.delete('not_reauthorized');
    },
    setWrongSecretAnswer(answer) {
      state.wrongSecretAnswer = answer;
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
      ...(options.wrongSecretAnswer === undefined
        ? {}
        : { wrongSecretAnswer: options.wrongSecretAnswer }),
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
