/**
 * Fakes for the broker's unit tests: a clock, a request scope, credentials sources serving
 * chosen versions (counting reads), and a Box token port that accepts chosen client secrets
 * (counting calls, programmable per call). Real units are built over them in each test.
 */
import type { BoxSubject, BoxToken } from '../../lambda/box/oauth-client.js';
import { CredentialSelector } from '../../lambda/broker/credential-selection.js';
import type { BoxCredentials, CredentialsSource } from '../../lambda/broker/credentials.js';
import { ForcedRefreshWindow } from '../../lambda/broker/forced-refresh.js';
import { NegativeCache } from '../../lambda/broker/negative-cache.js';
import { RefreshBackoff } from '../../lambda/broker/refresh-backoff.js';
import { TokenCache } from '../../lambda/broker/token-cache.js';
import { type BoxTokenApi, TokenMinter } from '../../lambda/broker/token-minter.js';
import { TokenSupply } from '../../lambda/broker/token-supply.js';
import type { IssuedToken, RequestScope, TokenAsk } from '../../lambda/broker/types.js';
import { type Deadline, noDeadline } from '../../lambda/deadline.js';
import { BoxCredentialsRejectedError } from '../../lambda/errors.js';
import { startTrace } from '../../lambda/trace/request-trace.js';

export const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
export const creds = (versionId: string, clientSecret = `secret-${versionId}`): BoxCredentials => ({
  clientId: 'client',
  clientSecret,
  enterpriseId: '1234567',
  versionId,
});
export const V1 = creds('v1');
export const TYPO = creds('v-typo');

export function clock() {
  const c = { t: T0, now: () => c.t };
  return c;
}

export function scope(deadline: Deadline = noDeadline()): RequestScope {
  const caller = { kind: 'iam' as const, arn: 'arn:aws:iam::111122223333:role/etl-a' };
  return {
    entry: 'api',
    caller,
    trace: startTrace('r', 'api', 'GET /token', caller, T0),
    deadline,
  };
}

/** A credentials source serving `current` and `previous`, counting reads. */
export function source(current: BoxCredentials, previous?: BoxCredentials) {
  const reads = { get: 0, force: 0, previous: 0 };
  const state = { current, previous };
  const src: CredentialsSource = {
    get: async () => {
      reads.get += 1;
      return state.current;
    },
    forceRefresh: async () => {
      reads.force += 1;
      return state.current;
    },
    previous: async () => {
      reads.previous += 1;
      return state.previous;
    },
  };
  return { src, reads, state };
}

export const rejected = () =>
  new BoxCredentialsRejectedError('invalid_client', 'The client credentials are invalid', 'hint');

/** A Box that accepts `good` client secrets, counting calls; programmable per call. */
export function fakeBox(good: Set<string>, lifetimeSeconds = 4102) {
  let n = 0;
  const calls: string[] = [];
  const faults: (() => Promise<never>)[] = [];
  const token = (): BoxToken => {
    n += 1;
    return { accessToken: `tok-${n}`, expiresInSeconds: lifetimeSeconds, restrictedTo: [] };
  };
  const box: BoxTokenApi = {
    requestToken: async (c, subject: BoxSubject) => {
      calls.push(`grant:${subject.type}:${c.clientSecret}`);
      const fault = faults.shift();
      if (fault !== undefined) return fault();
      if (!good.has(c.clientSecret)) throw rejected();
      return token();
    },
    exchangeToken: async () => {
      calls.push('exchange');
      const fault = faults.shift();
      if (fault !== undefined) return fault();
      return token();
    },
    revokeToken: async () => {
      calls.push('revoke');
    },
  };
  return { box, calls, faults };
}

/** One tenant's supply over `src` and `box`, built as lambda/runtime.ts builds it. */
export function supplyOf(
  src: CredentialsSource,
  box: BoxTokenApi,
  c: { now: () => number },
  backoffWindowMs = 5000,
): TokenSupply {
  return new TokenSupply({
    tenant: 'default',
    selector: new CredentialSelector({ source: src, recheckMs: 10_000, now: c.now }),
    minter: new TokenMinter(box, new NegativeCache({ ttlMs: 10_000, now: c.now }), c.now),
    cache: new TokenCache<IssuedToken>({
      maxEntries: 100,
      refreshMarginMs: 300_000,
      now: c.now,
    }),
    backoff: new RefreshBackoff({ windowMs: backoffWindowMs, maxKeys: 100, now: c.now }),
    forced: new ForcedRefreshWindow({ windowMs: 10_000, maxKeys: 100, now: c.now }),
    unknownRevokes: new ForcedRefreshWindow({ windowMs: 10_000, maxKeys: 100, now: c.now }),
    verifyIntervalMs: 10_000,
    now: c.now,
  });
}

export const enterprise: TokenAsk = {
  subject: { type: 'enterprise' },
  scopes: [],
  minTtlSeconds: 0,
};
export const folder = (id: string): TokenAsk => ({
  subject: { type: 'enterprise' },
  scopes: ['item_preview'],
  resource: { type: 'folder', id, url: `https://api.box.com/2.0/folders/${id}` },
  minTtlSeconds: 0,
});
export const user = (id: string): TokenAsk => ({
  subject: { type: 'user', id },
  scopes: [],
  minTtlSeconds: 0,
});
