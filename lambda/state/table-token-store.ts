/**
 * Shared tokens and their leases in the fleet state table.
 *
 * - `pk = token#<tenant>`, `sk = <SHA-256 of the cache key>`: `sealed` (B, the KMS ciphertext of
 *   the payload and its expiry), `ttl` (N). Nothing else: the expiry that counts is the one inside
 *   the ciphertext, so an altered attribute cannot stretch a token's life.
 * - `pk = lease#<tenant>`, same `sk`: `holder` (S, a random environment ID), `until` (N, the
 *   lease's end in epoch ms, which the lease's condition reads) and `ttl` (N, for clean-up).
 */
import type { Deadline } from '../deadline.js';
import type { SharedToken, SharedTokenKey, SharedTokenLookup, SharedTokenStore } from './ports.js';
import { isLive, num, readBinary, type StateTable, str, ttlOf } from './state-table.js';
import { cacheKeyHash, type TokenSealer } from './token-sealer.js';

/** The partition keys of the two families. */
export const TOKEN_PK_PREFIX = 'token#';
export const LEASE_PK_PREFIX = 'lease#';

/** A lease item outlives its lease by this much before DynamoDB's TTL may clean it up. */
const LEASE_TTL_SLACK_MS = 60_000;

export interface TableTokenStoreOptions {
  table: StateTable;
  sealer: TokenSealer;
  now: () => number;
}

/** The sealed form: the payload and its absolute expiry, encrypted together. */
interface SealedBody {
  p: string;
  e: number;
}

/** {@link SharedTokenStore} on the fleet state table and KMS. */
export class TableTokenStore implements SharedTokenStore {
  constructor(private readonly options: TableTokenStoreOptions) {}

  async read(key: SharedTokenKey, deadline: Deadline): Promise<SharedTokenLookup> {
    const { table, sealer, now } = this.options;
    // Consistent: a waiter polling for the leaseholder's token must see it once written.
    const item = await table.get(tokenKey(key), { consistent: true, deadline });
    if (item === undefined || !isLive(item, now())) return { kind: 'miss' };
    const sealed = readBinary(item, 'sealed');
    if (sealed === undefined) return { kind: 'rejected' };
    const opened = await sealer.open(key, sealed, deadline);
    if (!opened.ok) return { kind: 'rejected' };
    const body = parseBody(opened.plaintext);
    if (body === undefined) return { kind: 'rejected' };
    if (body.e <= now()) return { kind: 'miss' };
    return { kind: 'hit', token: { payload: body.p, expiresAtMs: body.e } };
  }

  async write(key: SharedTokenKey, token: SharedToken, deadline: Deadline): Promise<void> {
    const body: SealedBody = { p: token.payload, e: token.expiresAtMs };
    const plaintext = new TextEncoder().encode(JSON.stringify(body));
    const sealed = await this.options.sealer.seal(key, plaintext, deadline);
    const { pk, sk } = tokenKey(key);
    await this.options.table.put(
      { pk: str(pk), sk: str(sk), sealed: { B: sealed }, ttl: ttlOf(token.expiresAtMs) },
      { deadline },
    );
  }

  async lease(
    key: SharedTokenKey,
    holder: string,
    leaseMs: number,
    deadline: Deadline,
  ): Promise<boolean> {
    const nowMs = this.options.now();
    const { pk, sk } = leaseKey(key);
    // Taken when absent, when the last holder's lease has ended (it died or gave up), or when it
    // is this holder's own (its earlier write landed but the answer was lost to a timeout).
    return this.options.table.put(
      {
        pk: str(pk),
        sk: str(sk),
        holder: str(holder),
        until: num(nowMs + leaseMs),
        ttl: ttlOf(nowMs + leaseMs + LEASE_TTL_SLACK_MS),
      },
      {
        condition: {
          expression: 'attribute_not_exists(pk) OR #until <= :now OR holder = :holder',
          names: { '#until': 'until' },
          values: { ':now': num(nowMs), ':holder': str(holder) },
        },
        deadline,
      },
    );
  }

  async release(key: SharedTokenKey, holder: string, deadline: Deadline): Promise<void> {
    // Only the holder's own lease: one that was taken over belongs to someone else now.
    await this.options.table.delete(leaseKey(key), {
      condition: {
        expression: 'holder = :holder',
        values: { ':holder': str(holder) },
      },
      deadline,
    });
  }

  async drop(key: SharedTokenKey, deadline: Deadline): Promise<void> {
    await this.options.table.delete(tokenKey(key), { deadline });
  }
}

function tokenKey(key: SharedTokenKey) {
  return { pk: `${TOKEN_PK_PREFIX}${key.tenant}`, sk: cacheKeyHash(key.cacheKey) };
}

function leaseKey(key: SharedTokenKey) {
  return { pk: `${LEASE_PK_PREFIX}${key.tenant}`, sk: cacheKeyHash(key.cacheKey) };
}

/** The decrypted body, or undefined when it is not one the broker wrote. */
function parseBody(plaintext: Uint8Array): SealedBody | undefined {
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(plaintext));
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { p, e } = parsed as Record<string, unknown>;
    return typeof p === 'string' && typeof e === 'number' && Number.isFinite(e)
      ? { p, e }
      : undefined;
  } catch {
    return undefined;
  }
}
