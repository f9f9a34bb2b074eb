/**
 * The Box calls (grant, exchange, revoke) over a fake Box port: what each asks Box, the negative
 * cache in front of the grant, and what goes on the trace.
 */
import { describe, expect, it } from 'vitest';
import type { DownscopeRequest } from '../lambda/box/types.js';
import { NegativeCache } from '../lambda/broker/negative-cache.js';
import { type BoxTokenApi, TokenMinter } from '../lambda/broker/token-minter.js';
import { BoxUnavailableError } from '../lambda/errors.js';
import { clock, fakeBox, scope, T0, V1 } from './support/broker-fakes.js';

describe('Class: TokenMinter', () => {
  it('grants a token that expires Box’s expires_in after the call started, hashed for the log', async () => {
    const c = clock();
    const { box, calls } = fakeBox(new Set(['secret-v1']), 3600);
    const minter = new TokenMinter(box, new NegativeCache({ ttlMs: 10_000, now: c.now }), c.now);
    const s = scope();
    const token = await minter.grant({ type: 'enterprise', id: '1234567' }, V1, s);
    expect(calls).toEqual(['grant:enterprise:secret-v1']);
    expect(token).toMatchObject({
      accessToken: 'tok-1',
      expiresAtMs: T0 + 3_600_000,
      grantedSeconds: 3600,
      versionId: 'v1',
    });
    expect(token.tokenHash).toMatch(/^[0-9a-f]{16}$/);
    expect(s.trace.boxCalls).toBe(1);
  });

  it('answers a refused user again from the negative cache without Box, until it expires', async () => {
    const c = clock();
    const { box, calls } = fakeBox(new Set(['other']));
    const minter = new TokenMinter(box, new NegativeCache({ ttlMs: 10_000, now: c.now }), c.now);
    const first = scope();
    await expect(minter.grant({ type: 'user', id: '42' }, V1, first)).rejects.toMatchObject({
      code: 'box_credentials_rejected',
    });
    expect(first.trace).toMatchObject({ boxError: 'invalid_client', boxErrorCallerChosen: true });
    const again = scope();
    await expect(minter.grant({ type: 'user', id: '42' }, V1, again)).rejects.toMatchObject({
      code: 'box_credentials_rejected',
    });
    expect(again.trace.negativeCacheHit).toBe(true);
    expect(again.trace.boxCalls).toBe(0);
    c.t += 10_000;
    await minter.grant({ type: 'user', id: '42' }, V1, scope()).catch(() => undefined);
    expect(calls).toHaveLength(2);
  });

  it('exchanges the parent token for the target’s scopes and item, keeping its secret version', async () => {
    const c = clock();
    const asked: DownscopeRequest[] = [];
    const box: BoxTokenApi = {
      ...fakeBox(new Set()).box,
      exchangeToken: async (_subjectToken, request) => {
        asked.push(request);
        return { accessToken: 'down', expiresInSeconds: 60, restrictedTo: [] };
      },
    };
    const minter = new TokenMinter(box, new NegativeCache({ ttlMs: 1, now: c.now }), c.now);
    const parent = await new TokenMinter(
      fakeBox(new Set(['secret-v1'])).box,
      new NegativeCache({ ttlMs: 1 }),
      c.now,
    ).grant({ type: 'enterprise', id: '1234567' }, V1, scope());
    const url = 'https://api.box.com/2.0/folders/9';
    const token = await minter.exchange(
      parent,
      {
        subject: { type: 'enterprise', id: '1234567' },
        scopes: ['item_preview'],
        resource: { type: 'folder', id: '9', url },
      },
      scope(),
    );
    expect(asked).toEqual([{ scopes: ['item_preview'], resource: url }]);
    expect(token).toMatchObject({ accessToken: 'down', versionId: 'v1' });
  });

  it('counts an outage as the deployment’s Box error, never as the caller’s', async () => {
    const c = clock();
    const { box, faults } = fakeBox(new Set(['secret-v1']));
    faults.push(() => Promise.reject(new BoxUnavailableError('Box is unavailable (HTTP 503).')));
    const minter = new TokenMinter(box, new NegativeCache({ ttlMs: 1, now: c.now }), c.now);
    const s = scope();
    await expect(minter.grant({ type: 'user', id: '42' }, V1, s)).rejects.toBeInstanceOf(
      BoxUnavailableError,
    );
    expect(s.trace).toMatchObject({ boxError: 'box_unavailable', boxErrorCallerChosen: false });
  });

  it('revokes with the tenant’s credentials', async () => {
    const { box, calls } = fakeBox(new Set());
    const minter = new TokenMinter(box, new NegativeCache({ ttlMs: 1 }));
    await minter.revoke(V1, 'tok', scope());
    expect(calls).toEqual(['revoke']);
  });
});
