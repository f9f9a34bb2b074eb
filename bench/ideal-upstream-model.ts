/**
 * The broker's caching and rotation rules (docs/operations.md "How the broker behaves") as a tiny
 * sequential model: the fewest Box token calls and Secrets Manager reads any correct broker can
 * make for a sequence of requests. The bench compares the real broker's counts with this model's.
 */

/** One request of a scenario, as the cache sees it. */
export interface ModelRequest {
  /** Time of the request, epoch ms. */
  atMs: number;
  /** Cache key without the secret version. */
  key: string;
  /** For a downscoped token: the key of the full token it is exchanged from. */
  parentKey?: string;
  minTtlSeconds: number;
  /**
   * The key's Box subject is one the caller chose (a user): a rejection of its grant proves
   * nothing about the client secret until the enterprise grant is rejected too.
   */
  callerChosen?: boolean;
}

export interface ModelConfig {
  /** Box's `expires_in` for CCG and for downscoped tokens. */
  tokenLifetimeSeconds: number;
  downscopedLifetimeSeconds: number;
  refreshMarginSeconds: number;
  secretTtlSeconds: number;
  secretRereadIntervalSeconds: number;
  /** Secret version Secrets Manager serves at a time. */
  versionAt(atMs: number): number;
  /** Whether Box accepts the client secret of `version` at a time. */
  boxAccepts(version: number, atMs: number): boolean;
}

export interface ModelCounts {
  /** Token endpoint calls, rejected ones included. */
  boxTokenCalls: number;
  /** Calls Box rejected with `invalid_client`. */
  boxRejected: number;
  getSecretValueCalls: number;
}

interface Token {
  expiresAtMs: number;
  version: number;
}

/** Replays `requests` in order through the ideal cache. */
export function idealUpstreamCalls(
  requests: readonly ModelRequest[],
  config: ModelConfig,
): ModelCounts {
  const counts: ModelCounts = { boxTokenCalls: 0, boxRejected: 0, getSecretValueCalls: 0 };
  const tokens = new Map<string, Token>();
  let credentials: { version: number; readAtMs: number } | undefined;
  let activeVersion: number | undefined;
  let forcedAtMs = Number.NEGATIVE_INFINITY;
  const marginMs = config.refreshMarginSeconds * 1000;

  const read = (atMs: number) => {
    counts.getSecretValueCalls += 1;
    credentials = { version: config.versionAt(atMs), readAtMs: atMs };
    if (activeVersion !== undefined && activeVersion !== credentials.version) {
      // A new secret version drops the tokens minted with the old one.
      for (const [key, token] of tokens)
        if (token.version !== credentials.version) tokens.delete(key);
    }
    activeVersion = credentials.version;
    return credentials;
  };
  const usable = (token: Token | undefined, atMs: number, minTtlSeconds: number) =>
    token !== undefined &&
    token.expiresAtMs - atMs > marginMs &&
    token.expiresAtMs - atMs >= minTtlSeconds * 1000;
  /**
   * One Box call with the current credentials; on rejection, one forced re-read and retry. A
   * rejected caller-chosen subject first needs the enterprise grant's verdict (one more call,
   * rejected too when the secret really is wrong) before the secret is read again.
   */
  const callBox = (atMs: number, callerChosen = false): number => {
    let version = credentials?.version ?? read(atMs).version;
    counts.boxTokenCalls += 1;
    if (config.boxAccepts(version, atMs)) return version;
    counts.boxRejected += 1;
    if (atMs - forcedAtMs < config.secretRereadIntervalSeconds * 1000) return -1;
    if (callerChosen) {
      counts.boxTokenCalls += 1;
      counts.boxRejected += 1;
    }
    forcedAtMs = atMs;
    const fresh = read(atMs).version;
    if (fresh === version) return -1;
    version = fresh;
    counts.boxTokenCalls += 1;
    return config.boxAccepts(version, atMs) ? version : -1;
  };
  const store = (key: string, version: number, lifetimeSeconds: number, atMs: number) => {
    tokens.set(`${key}|${version}`, { expiresAtMs: atMs + lifetimeSeconds * 1000, version });
  };

  for (const request of requests) {
    const at = request.atMs;
    const known = credentials ?? read(at);
    if (usable(tokens.get(`${request.key}|${known.version}`), at, request.minTtlSeconds)) continue;
    const current = at - known.readAtMs >= config.secretTtlSeconds * 1000 ? read(at) : known;
    if (request.parentKey === undefined) {
      const version = callBox(at, request.callerChosen === true);
      if (version >= 0) store(request.key, version, config.tokenLifetimeSeconds, at);
      continue;
    }
    let version = current.version;
    if (!usable(tokens.get(`${request.parentKey}|${version}`), at, 0)) {
      version = callBox(at);
      if (version < 0) continue;
      store(request.parentKey, version, config.tokenLifetimeSeconds, at);
    }
    // The exchange presents the parent token, not the client secret: Box cannot reject the secret.
    counts.boxTokenCalls += 1;
    store(request.key, version, config.downscopedLifetimeSeconds, at);
  }
  return counts;
}
