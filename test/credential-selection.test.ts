/**
 * The rotation state machine: which secret version the broker mints with, moved only by proof.
 */
import { describe, expect, it } from 'vitest';
import { CredentialSelector } from '../lambda/broker/credential-selection.js';
import type { BoxCredentials } from '../lambda/broker/credentials.js';
import { clock, creds, scope, source, TYPO, V1 } from './support/broker-fakes.js';

describe('Unit: CredentialSelector (rotation state machine)', () => {
  it('falls back to AWSPREVIOUS when the re-read value is the rejected one, and a failed re-check changes nothing', async () => {
    const c = clock();
    const { src, reads } = source(TYPO, V1);
    const selector = new CredentialSelector({ source: src, recheckMs: 10_000, now: c.now });
    const s = scope();
    expect(selector.accepted(V1)).toBe(false);
    expect(await selector.rejected(TYPO, s.deadline, s.trace)).toBe(V1);
    expect(reads).toMatchObject({ force: 1, previous: 1 });
    expect(await selector.select(s.deadline, s.trace)).toBe(V1);
    expect(selector.isFallback('v1')).toBe(true);

    expect(selector.beginRecheck()).toBe(false);
    c.t += 10_000;
    expect(selector.recheckDue()).toBe(true);
    // The re-check of the current version: one request does it, Box refuses it again.
    expect(selector.beginRecheck()).toBe(true);
    expect(selector.beginRecheck()).toBe(false);
    expect(await selector.recheckCandidate(s.deadline)).toBe(TYPO);
    selector.endRecheck();
    expect(selector.known()).toBe(V1);
    expect(selector.isFallback('v1')).toBe(true);
    expect(selector.recheckDue()).toBe(false);
  });

  it('ends the fallback and switches (dropping the old version) when the re-check succeeds', async () => {
    const c = clock();
    const { src, state } = source(TYPO, V1);
    const selector = new CredentialSelector({ source: src, recheckMs: 10_000, now: c.now });
    const s = scope();
    selector.accepted(V1);
    await selector.rejected(TYPO, s.deadline, s.trace);
    state.current = creds('v2');
    c.t += 10_000;
    expect(selector.beginRecheck()).toBe(true);
    const candidate = await selector.recheckCandidate(s.deadline);
    expect(candidate).toMatchObject({ versionId: 'v2' });
    // Box accepted it: a new version replaces v1, whose tokens the supply drops.
    expect(selector.accepted(candidate as BoxCredentials)).toBe(true);
    selector.endRecheck();
    expect(selector.isFallback('v1')).toBe(false);
    expect(await selector.select(s.deadline, s.trace)).toMatchObject({ versionId: 'v2' });
  });

  it('gives up when the previous version is rejected too, and when there is no previous', async () => {
    const { src } = source(TYPO, V1);
    const selector = new CredentialSelector({ source: src, recheckMs: 10_000 });
    const s = scope();
    await selector.rejected(TYPO, s.deadline, s.trace);
    expect(await selector.rejected(V1, s.deadline, s.trace)).toBeUndefined();
    const lone = new CredentialSelector({ source: source(TYPO).src, recheckMs: 1 });
    expect(await lone.rejected(TYPO, s.deadline, s.trace)).toBeUndefined();
  });
});
