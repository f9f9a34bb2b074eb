/**
 * Unit tests of the broker's parts: credential selection (the rotation state machine), the
 * negative cache, the refresh back-off and the token supply, each with a fake clock and fakes of
 * the Box port and the credentials source.
 */
import { describe, expect, it, vi } from 'vitest';
import type { BoxSubject, BoxToken } from '../lambda/box/oauth-client.js';
import { Broker } from '../lambda/broker/broker.js';
import { buildSupply } from '../lambda/broker/build-supply.js';
import { CredentialSelector } from '../lambda/broker/credential-selection.js';
import type { BoxCredentials, CredentialsSource } from '../lambda/broker/credentials.js';
import { NegativeCache } from '../lambda/broker/negative-cache.js';
import type { BoxTokenApi } from '../lambda/broker/ports.js';
import { RefreshBackoff } from '../lambda/broker/refresh-backoff.js';
import type { RequestScope } from '../lambda/broker/requests.js';
import type { TokenSupply } from '../lambda/broker/token-supply.js';
import { type Deadline, noDeadline } from '../lambda/deadline.js';
import {
  BoxCredentialsRejectedError,
  BoxUnavailableError,
  InvalidRequestError,
} from '../lambda/errors.js';
import { compilePolicy } from '../lambda/policy/access-policy.js';
import { startTrace } from '../lambda/trace/request-trace.js';

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
const creds = (versionId: string, clientSecret = `secret-${versionId}`): BoxCredentials => ({
  clientId: 'client',
  clientSecret,
  enterpriseId: '1234567',
  versionId,
});
const V1 = creds('v1');
const TYPO = creds('v-typo');

function clock() {
  const c = { t: T0, now: () => c.t };
  return c;
}

function scope(deadline: Deadline = noDeadline()): RequestScope {
  const caller = { kind: 'iam' as const, arn: 'arn:aws:iam::111122223333:role/etl-a' };
  return { caller, trace: startTrace('r', 'api', 'GET /token', caller, T0), deadline };
}

/** A credentials source serving `current` and `previous`, counting reads. */
function source(current: BoxCredentials, previous?: BoxCredentials) {
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

const rejected = () =>
  new BoxCredentialsRejectedError('invalid_client', 'The client credentials are invalid', 'hint');

/** A Box that accepts `good` client secrets, counting calls; programmable per call. */
function fakeBox(good: Set<string>, lifetimeSeconds = 4102) {
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

function supplyOf(
  src: CredentialsSource,
  box: BoxTokenApi,
  c: { now: () => number },
  backoffWindowMs = 5000,
): TokenSupply {
  return buildSupply({
    credentials: src,
    box,
    tokenCacheMaxEntries: 100,
    refreshMarginMs: 300_000,
    negativeCacheMs: 10_000,
    fallbackRecheckMs: 10_000,
    backoffWindowMs,
    now: c.now,
  });
}

const enterprise = {
  targetOf: (c: BoxCredentials) => ({
    subject: { type: 'enterprise' as const, id: c.enterpriseId },
    scopes: [],
  }),
  minTtlSeconds: 0,
};
const folder = (id: string) => ({
  targetOf: (c: BoxCredentials) => ({
    subject: { type: 'enterprise' as const, id: c.enterpriseId },
    scopes: ['item_preview'],
    resource: { type: 'folder' as const, id, url: `https://api.box.com/2.0/folders/${id}` },
  }),
  minTtlSeconds: 0,
});
const user = (id: string) => ({
  targetOf: () => ({ subject: { type: 'user' as const, id }, scopes: [] }),
  minTtlSeconds: 0,
});

describe('Unit: CredentialSelector (rotation state machine)', () => {
  it('falls back to AWSPREVIOUS when the re-read value is the rejected one, and a failed re-check changes nothing', async () => {
    const c = clock();
    const { src, reads } = source(TYPO, V1);
    const onSwitch = vi.fn();
    const selector = new CredentialSelector({
      source: src,
      recheckMs: 10_000,
      onSwitch,
      now: c.now,
    });
    const s = scope();
    selector.accepted(V1);
    expect(await selector.rejected(TYPO, s.deadline, s.trace)).toBe(V1);
    expect(reads).toMatchObject({ force: 1, previous: 1 });
    expect(await selector.select(s.deadline, s.trace)).toBe(V1);
    expect(selector.isFallback('v1')).toBe(true);

    c.t += 10_000;
    expect(selector.recheckDue()).toBe(true);
    await selector.recheck(s.deadline, s.trace, async () => {
      throw rejected();
    });
    expect(onSwitch).not.toHaveBeenCalled();
    expect(selector.known()).toBe(V1);
    expect(selector.recheckDue()).toBe(false);
    expect(s.trace.fallbackRecheckFailed).toBe(true);
  });

  it('ends the fallback and switches (dropping the old version) when the re-check succeeds', async () => {
    const c = clock();
    const { src, state } = source(TYPO, V1);
    const onSwitch = vi.fn();
    const selector = new CredentialSelector({
      source: src,
      recheckMs: 10_000,
      onSwitch,
      now: c.now,
    });
    const s = scope();
    selector.accepted(V1);
    await selector.rejected(TYPO, s.deadline, s.trace);
    state.current = creds('v2');
    c.t += 10_000;
    await selector.recheck(s.deadline, s.trace, async () => undefined);
    expect(onSwitch).toHaveBeenCalledWith('v2');
    expect(selector.isFallback('v1')).toBe(false);
    expect(await selector.select(s.deadline, s.trace)).toMatchObject({ versionId: 'v2' });
  });

  it('gives up when the previous version is rejected too, and when there is no previous', async () => {
    const { src } = source(TYPO, V1);
    const selector = new CredentialSelector({
      source: src,
      recheckMs: 10_000,
      onSwitch: () => undefined,
    });
    const s = scope();
    await selector.rejected(TYPO, s.deadline, s.trace);
    expect(await selector.rejected(V1, s.deadline, s.trace)).toBeUndefined();
    const lone = new CredentialSelector({
      source: source(TYPO).src,
      recheckMs: 1,
      onSwitch: () => undefined,
    });
    expect(await lone.rejected(TYPO, s.deadline, s.trace)).toBeUndefined();
  });
});

describe('Unit: NegativeCache', () => {
  it('bounds caller-chosen entries without ever evicting the enterprise entry, and expires them', () => {
    const c = clock();
    const cache = new NegativeCache({ ttlMs: 10_000, maxCallerEntries: 3, now: c.now });
    const error = rejected();
    cache.remember('enterprise', 'enterprise|1|v1', error);
    for (let i = 0; i < 50; i += 1) cache.remember('caller', `user|${i}|v1`, error);
    expect(cache.sizes()).toEqual({ enterprise: 1, caller: 3 });
    expect(cache.get('enterprise', 'enterprise|1|v1')).toBe(error);
    expect(cache.get('caller', 'user|0|v1')).toBeUndefined();
    expect(cache.get('caller', 'user|49|v1')).toBe(error);
    c.t += 10_000;
    expect(cache.get('enterprise', 'enterprise|1|v1')).toBeUndefined();
  });
});

describe('Unit: RefreshBackoff', () => {
  it('opens a window per key after a failure and closes it on success or when it passes', () => {
    const c = clock();
    const backoff = new RefreshBackoff({ windowMs: 5000, now: c.now });
    expect(backoff.remainingMs('a')).toBe(0);
    backoff.failed('a');
    c.t += 2000;
    expect(backoff.remainingMs('a')).toBe(3000);
    expect(backoff.remainingMs('b')).toBe(0);
    c.t += 3000;
    expect(backoff.remainingMs('a')).toBe(0);
    backoff.failed('a');
    backoff.succeeded('a');
    expect(backoff.remainingMs('a')).toBe(0);
  });
});

describe('Unit: TokenSupply', () => {
  it('while serving from AWSPREVIOUS, re-checks cost one enterprise grant each and never re-mint cached tokens', async () => {
    const c = clock();
    const { src } = source(TYPO, V1);
    const { box, calls } = fakeBox(new Set(['secret-v1']));
    const supply = supplyOf(src, box, c);
    for (const id of ['1', '2', '3', '4', '5']) await supply.token(folder(id), scope());
    const before = calls.length;
    for (let recheck = 0; recheck < 3; recheck += 1) {
      c.t += 11_000;
      for (const id of ['1', '2', '3', '4', '5']) {
        const s = scope();
        await supply.token(folder(id), s);
        expect(s.trace.secretFallback).toBe(true);
      }
    }
    expect(calls.slice(before)).toEqual([
      'grant:enterprise:secret-v-typo',
      'grant:enterprise:secret-v-typo',
      'grant:enterprise:secret-v-typo',
    ]);
  });

  it('lets the enterprise grant decide when Box answers invalid_client for a user subject', async () => {
    const c = clock();
    const { src, reads } = source(V1, creds('v0'));
    const { box, calls, faults } = fakeBox(new Set(['secret-v1']));
    const supply = supplyOf(src, box, c);
    faults.push(() => Promise.reject(rejected()));
    const s = scope();
    await expect(supply.token(user('42'), s)).rejects.toBeInstanceOf(BoxCredentialsRejectedError);
    expect(calls).toEqual(['grant:user:secret-v1', 'grant:enterprise:secret-v1']);
    expect(reads).toMatchObject({ force: 0, previous: 0 });
    expect(s.trace).toMatchObject({ boxError: 'invalid_client' });
    expect(s.trace.credentialsReread).toBeUndefined();
    // The verdict is reused: another such user costs one Box call, not two.
    faults.push(() => Promise.reject(rejected()));
    await expect(supply.token(user('43'), scope())).rejects.toBeInstanceOf(
      BoxCredentialsRejectedError,
    );
    expect(calls).toHaveLength(3);
  });

  it('serves the still-valid token during the back-off window, refuses fast what it cannot serve, and tries once per window', async () => {
    const c = clock();
    const { src } = source(V1);
    const { box, calls, faults } = fakeBox(new Set(['secret-v1']));
    const supply = supplyOf(src, box, c, 5000);
    const first = await supply.token(enterprise, scope());
    c.t += (4102 - 200) * 1000;
    faults.push(() => Promise.reject(new BoxUnavailableError('Box is unavailable (HTTP 503).')));
    const during = await supply.token(enterprise, scope());
    expect(during.value.accessToken).toBe(first.value.accessToken);
    const callsAfterFailure = calls.length;
    for (let i = 0; i < 10; i += 1) {
      const s = scope();
      expect((await supply.token(enterprise, s)).value.accessToken).toBe(first.value.accessToken);
      expect(s.trace.backoffServed).toBe(true);
    }
    c.t += 1500;
    const s = scope();
    const refused = await supply
      .token({ ...enterprise, minTtlSeconds: 600 }, s)
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BoxUnavailableError);
    expect((refused as BoxUnavailableError).retryAfterSeconds).toBe(4);
    expect(s.trace.backoffRejected).toBe(true);
    expect(calls.length).toBe(callsAfterFailure);
    c.t += 3500;
    const after = await supply.token(enterprise, scope());
    expect(after.value.accessToken).not.toBe(first.value.accessToken);
    expect(calls.length).toBe(callsAfterFailure + 1);
  });

  it('answers a fresh token shorter than min_ttl with invalid_request naming what Box grants', async () => {
    const { src } = source(V1);
    const { box } = fakeBox(new Set(['secret-v1']), 4102);
    const supply = supplyOf(src, box, clock());
    const error = await supply
      .token({ ...enterprise, minTtlSeconds: 5000 }, scope())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as Error).message).toBe(
      'Box grants tokens of 4102 s; min_ttl 5000 cannot be met.',
    );
  });

  it('stops at the request deadline when Box never answers', async () => {
    const { src } = source(V1);
    const box: BoxTokenApi = {
      requestToken: () => new Promise(() => undefined),
      exchangeToken: () => new Promise(() => undefined),
      revokeToken: async () => undefined,
    };
    const supply = supplyOf(src, box, clock());
    const deadline = { signal: AbortSignal.timeout(50), atMs: T0 + 50 };
    await expect(supply.token(enterprise, scope(deadline))).rejects.toMatchObject({
      code: 'box_timeout',
    });
  });
});

describe('Unit: Broker', () => {
  it('refuses /revoke and /health to a caller no rule admits, before any credentials read', async () => {
    const get = vi.fn();
    const supply = { token: get, revoke: get } as unknown as TokenSupply;
    const policy = compilePolicy({
      version: 1,
      rules: [
        { id: 'a', callers: ['arn:aws:iam::111122223333:role/other'], subjects: ['enterprise'] },
      ],
    });
    const broker = new Broker({ policy, supply });
    await expect(broker.revokeToken('t', scope())).rejects.toMatchObject({ code: 'access_denied' });
    await expect(broker.health(scope())).rejects.toMatchObject({ code: 'access_denied' });
    expect(get).not.toHaveBeenCalled();
  });
});
