/**
 * The broker's token data: hashes that correlate without the token, and remaining life.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  fullTokenHash,
  hashToken,
  type IssuedToken,
  remainingSeconds,
} from '../lambda/broker/types.js';

const token = (expiresAtMs: number): IssuedToken => ({
  accessToken: 'tok',
  expiresAtMs,
  grantedSeconds: 3600,
  restrictedTo: [],
  versionId: 'v1',
  tokenHash: hashToken('tok'),
});

describe('Function: hashToken / fullTokenHash', () => {
  it('is the SHA-256 of the token (in full, or its first 16 hex digits), never the token', () => {
    const full = createHash('sha256').update('secret-token').digest('hex');
    expect(fullTokenHash('secret-token')).toBe(full);
    expect(hashToken('secret-token')).toBe(full.slice(0, 16));
    expect(hashToken('secret-token')).not.toContain('secret');
  });
});

describe('Function: remainingSeconds', () => {
  it('counts whole seconds left, never below zero', () => {
    expect(remainingSeconds(token(10_999), 0)).toBe(10);
    expect(remainingSeconds(token(1000), 5000)).toBe(0);
  });
});
