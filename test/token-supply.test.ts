/**
 * One tenant's token supply over real units (selector, minter, negative cache, token cache,
 * back-off) with a fake clock, a fake Box port and a fake credentials source.
 */

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { BoxTokenApi } from '../lambda/broker/token-minter.js';
import {
  BoxCredentialsRejectedError,
  BoxUnavailableError,
  InvalidRequestError,
} from '../lambda/errors.js';
import {
  clock,
  creds,
  enterprise,
  fakeBox,
  folder,
  rejected,
  scope,
  source,
  supplyOf,
  T0,
  TYPO,
  user,
  V1,
} from './support/broker-fakes.js';

const sha = (token: string) => createHash('sha256').update(token).digest('hex');

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
      for (const [i, id] of ['1', '2', '3', '4', '5'].entries()) {
        const s = scope();
        await supply.token(folder(id), s);
        expect(s.trace.secretFallback).toBe(true);
        // The first request after the interval re-checks the current version; Box refuses it.
        expect(s.trace.fallbackRecheckFailed).toBe(i === 0 ? true : undefined);
      }
    }
    expect(calls.slice(before)).toEqual([
      'grant:enterprise:secret-v-typo',
      'grant:enterprise:secret-v-typo',
      'grant:enterprise:secret-v-typo',
    ]);
  });

  it('drops the old version’s tokens when the fallback’s re-check proves a new current version', async () => {
    const c = clock();
    const { src, state } = source(TYPO, V1);
    const { box, calls } = fakeBox(new Set(['secret-v1', 'secret-v2']));
    const supply = supplyOf(src, box, c);
    const old = await supply.token(folder('1'), scope());
    expect(old.value.versionId).toBe('v1');
    const before = calls.length;
    state.current = creds('v2');
    c.t += 11_000;
    const s = scope();
    const fresh = await supply.token(folder('1'), s);
    expect(s.trace.fallbackRecheckFailed).toBeUndefined();
    expect(s.trace.secretFallback).toBeUndefined();
    expect(fresh.value.versionId).toBe('v2');
    expect(fresh.cacheHit).toBe(false);
    // The re-check's enterprise grant is the folder token's parent; the v1 token is not served.
    expect(calls.slice(before)).toEqual(['grant:enterprise:secret-v2', 'exchange']);
    // Only v2's two tokens are left: the switch dropped v1's enterprise and folder tokens.
    expect(supply.dropAll()).toBe(2);
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

  it('treats invalid_grant to the enterprise grant like invalid_client: re-read, then AWSPREVIOUS', async () => {
    const { src, reads } = source(TYPO, V1);
    const { box, calls, faults } = fakeBox(new Set(['secret-v1']));
    const grantRefusal = () =>
      Promise.reject(
        new BoxCredentialsRejectedError('invalid_grant', 'Grant credentials are invalid', 'hint'),
      );
    faults.push(grantRefusal);
    const supply = supplyOf(src, box, clock());
    const s = scope();
    const served = await supply.token(enterprise, s);
    expect(served.value.versionId).toBe('v1');
    expect(s.trace).toMatchObject({ credentialsReread: true, secretFallback: true });
    expect(reads).toMatchObject({ force: 1, previous: 1 });
    expect(calls).toEqual(['grant:enterprise:secret-v-typo', 'grant:enterprise:secret-v1']);
  });

  it('does not take invalid_grant on a user subject for a stale secret when the enterprise grant works', async () => {
    const { src, reads } = source(V1, creds('v0'));
    const { box, faults } = fakeBox(new Set(['secret-v1']));
    faults.push(() =>
      Promise.reject(
        new BoxCredentialsRejectedError('invalid_grant', 'Grant credentials are invalid', 'hint'),
      ),
    );
    const supply = supplyOf(src, box, clock());
    await expect(supply.token(user('77'), scope())).rejects.toMatchObject({
      boxError: 'invalid_grant',
    });
    expect(reads).toMatchObject({ force: 0, previous: 0 });
  });

  it('bounds dead-token refreshes: one forced grant per key per window, then 503 with Retry-After', async () => {
    const c = clock();
    const { src } = source(V1);
    const { box, calls } = fakeBox(new Set(['secret-v1']));
    const supply = supplyOf(src, box, c);
    const t0 = (await supply.token(enterprise, scope())).value.accessToken;
    const t1 = (await supply.token({ ...enterprise, deadTokenSha256: sha(t0) }, scope())).value;
    expect(t1.accessToken).not.toBe(t0);
    const s = scope();
    const refused = await supply
      .token({ ...enterprise, deadTokenSha256: sha(t1.accessToken) }, s)
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BoxUnavailableError);
    expect((refused as BoxUnavailableError).retryAfterSeconds).toBe(10);
    expect(s.trace.forcedRefreshRefused).toBe(true);
    // The reported token still serves callers who did not report it.
    expect((await supply.token(enterprise, scope())).value.accessToken).toBe(t1.accessToken);
    c.t += 10_000;
    const t2 = await supply.token({ ...enterprise, deadTokenSha256: sha(t1.accessToken) }, scope());
    expect(t2.value.accessToken).not.toBe(t1.accessToken);
    expect(calls.filter((call) => call.startsWith('grant'))).toHaveLength(3);
  });

  it('finds the tokens it minted (for the broker to check) and budgets unknown tokens', async () => {
    const { src } = source(V1);
    const { box, calls } = fakeBox(new Set(['secret-v1']));
    const supply = supplyOf(src, box, clock());
    const minted = (await supply.token(enterprise, scope())).value.accessToken;
    expect(supply.findMinted(minted)?.target).toMatchObject({ subject: { type: 'enterprise' } });
    expect(supply.findMinted('junk-1')).toBeUndefined();
    expect(calls).not.toContain('revoke');
    await supply.revoke('junk-1', scope(), 'iam:a');
    await expect(supply.revoke('junk-2', scope(), 'iam:a')).rejects.toBeInstanceOf(
      BoxUnavailableError,
    );
    // Another caller has a budget of its own.
    await supply.revoke('junk-3', scope(), 'iam:b');
    // A token it minted is not budgeted, and is forgotten once revoked.
    await supply.revoke(minted, scope(), 'iam:a');
    expect(supply.findMinted(minted)).toBeUndefined();
    expect(calls.filter((call) => call === 'revoke')).toHaveLength(3);
  });
});
