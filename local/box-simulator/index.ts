/**
 * A Box OAuth simulator: a real HTTP server on loopback that answers like `api.box.com` for
 * `POST /oauth2/token` (Client Credentials Grant and token exchange), `POST /oauth2/revoke`,
 * `GET /2.0/users/me` (with `As-User`) and `GET /2.0/folders/0`, with Box's status codes, headers
 * and exact error strings (docs/box.md). `npm start` and every integration test use it; tests
 * program faults (429, 5xx, hangs, resets, malformed bodies) and read back what it received.
 *
 * It serves several Box apps at once, each with its own client ID/secret, enterprise, service
 * account, scopes and a set of misconfigurations ({@link AppMisconfiguration}: not CCG, secret
 * reset, not authorised, not re-authorised, As-User off, user tokens off) that make it answer as
 * Box does for that setup mistake. Tokens are bound to the app that obtained them. The options of
 * {@link startBoxSimulator} describe the default app; {@link BoxSimulator.addApp} adds others.
 *
 * Where Box's behaviour is undocumented (marked "[gap]" in the handlers) the simulator picks a
 * plausible answer; tests should not treat those answers as Box's truth.
 *
 * The modules: `constants` (grant URNs, defaults, Box's error strings), `apps` (the app model and
 * its misconfigurations), `tokens` (the token store), `oauth` (the token and revoke endpoints),
 * `api` (users/me, folders/0, As-User), `faults`, `requests` and `server` (HTTP and the request
 * record), `router`, `state` (options and the shared state), `simulator` (the facade).
 * Run it alone with `npx tsx local/box-simulator.ts`.
 */
export {
  APP_MISCONFIGURATIONS,
  type AppMisconfiguration,
  type SimulatorApp,
  type SimulatorAppOptions,
  type SimulatorCredentials,
  WRONG_SECRET_ANSWERS,
  type WrongSecretAnswer,
} from './apps.js';
export {
  ACCESS_TOKEN_TYPE,
  BOX_ERROR_DESCRIPTIONS,
  CLIENT_CREDENTIALS_GRANT,
  SIMULATOR_DEFAULTS,
  TOKEN_EXCHANGE_GRANT,
} from './constants.js';
export type { BoxFault, FaultMatch, MalformedTokenBody } from './faults.js';
export type { RecordedRequest } from './requests.js';
export { BoxSimulator, startBoxSimulator } from './simulator.js';
export type { BoxSimulatorOptions } from './state.js';
export type { IssuedToken } from './tokens.js';
