import { describe, expect, it } from 'vitest';
import { RequestLogger } from '../lambda/trace/request-logger.js';
import { type RequestTrace, startTrace } from '../lambda/trace/request-trace.js';

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const NAMESPACE = 'BoxTokenBroker';
const SERVICE = 'box-token-broker';

interface EmfMetric {
  Name: string;
  Unit: string;
}

interface EmfBlock {
  Timestamp: number;
  CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: EmfMetric[] }[];
}

/** A logger whose lines land in an array, at a fixed time. */
function capture(now = T0 + 42) {
  const lines: string[] = [];
  const logger = new RequestLogger({
    namespace: NAMESPACE,
    service: SERVICE,
    sink: (line) => lines.push(line),
    now: () => now,
  });
  return { logger, lines };
}

function trace(extra: Partial<RequestTrace> = {}): RequestTrace {
  const base = startTrace(
    'req-1',
    'api',
    'POST /token',
    { kind: 'iam', arn: 'arn:aws:sts::111122223333:assumed-role/etl/s', accountId: '111122223333' },
    T0,
  );
  return { ...base, operation: 'token', ...extra };
}

/** Writes one trace and returns the parsed line (asserting there is exactly one). */
function written(t: RequestTrace): Record<string, unknown> {
  const { logger, lines } = capture();
  logger.write(t);
  expect(lines).toHaveLength(1);
  const line = lines[0] ?? '';
  expect(line).not.toContain('\n');
  return JSON.parse(line) as Record<string, unknown>;
}

/**
 * Asserts the EMF block is well formed: every directive's dimensions are top-level strings, every
 * metric a top-level number, and every top-level metric-style (CamelCase) number is declared.
 * Returns the declared metric names in order of first appearance.
 */
function metricNames(record: Record<string, unknown>): string[] {
  const emf = record._aws as EmfBlock;
  expect(emf.Timestamp).toBe(T0 + 42);
  expect(emf.CloudWatchMetrics.length).toBeGreaterThan(0);
  const names: string[] = [];
  for (const directive of emf.CloudWatchMetrics) {
    expect(directive.Namespace).toBe(NAMESPACE);
    expect(directive.Dimensions.length).toBeGreaterThan(0);
    for (const dimensions of directive.Dimensions) {
      for (const dimension of dimensions) expect(typeof record[dimension]).toBe('string');
    }
    const inDirective = directive.Metrics.map((metric) => metric.Name);
    expect(new Set(inDirective).size).toBe(inDirective.length);
    for (const { Name, Unit } of directive.Metrics) {
      expect(typeof record[Name]).toBe('number');
      expect(Number.isFinite(record[Name])).toBe(true);
      expect(['Count', 'Milliseconds', 'Seconds']).toContain(Unit);
      if (!names.includes(Name)) names.push(Name);
    }
  }
  const camelNumbers = Object.entries(record)
    .filter(([key, value]) => /^[A-Z]/.test(key) && typeof value === 'number')
    .map(([key]) => key);
  expect(new Set(camelNumbers)).toEqual(new Set(names));
  return names;
}

/** Recursively finds null values (an undefined field would have been written as null in arrays). */
function hasNull(value: unknown): boolean {
  if (value === null) return true;
  if (typeof value !== 'object') return false;
  return Object.values(value as object).some(hasNull);
}

const SCENARIOS: { name: string; trace: RequestTrace; metrics: string[] }[] = [
  {
    name: 'a cache hit',
    trace: trace({
      status: 200,
      decision: 'allow',
      ruleId: 'default',
      subject: 'enterprise:987654',
      scopes: ['item_preview'],
      cacheHit: true,
      secretVersionId: 'v1',
      tokenHash: 'ab12cd34',
    }),
    metrics: ['TokensIssued', 'CacheHits', 'RequestLatency'],
  },
  {
    name: 'a cache miss with a Box call',
    trace: trace({ status: 200, cacheHit: false, boxCalls: 1, boxLatencyMs: 123, tokenHash: 'ff' }),
    metrics: ['TokensIssued', 'CacheMisses', 'BoxLatency', 'RequestLatency'],
  },
  {
    name: 'a revoke',
    trace: trace({
      route: 'POST /revoke',
      operation: 'revoke',
      status: 200,
      boxCalls: 1,
      boxLatencyMs: 5,
      tokenHash: 'aa',
    }),
    metrics: ['TokensRevoked', 'BoxLatency', 'RequestLatency'],
  },
  {
    name: 'a denial',
    trace: trace({ status: 403, errorCode: 'access_denied', decision: 'deny', reason: 'no rule' }),
    metrics: ['AccessDenied', 'RequestLatency'],
  },
  {
    name: 'a Box failure after a re-read',
    trace: trace({
      status: 502,
      errorCode: 'box_credentials_rejected',
      cacheHit: false,
      boxCalls: 2,
      boxLatencyMs: 400,
      boxError: 'invalid_client',
      credentialsReread: true,
    }),
    metrics: [
      'CacheMisses',
      'BoxLatency',
      'SecretRereads',
      'ServerErrors',
      'RequestLatency',
      'BoxErrors',
    ],
  },
  {
    name: 'a stale token served from the previous secret version',
    trace: trace({
      status: 200,
      cacheHit: true,
      servedStale: true,
      secretFallback: true,
      secretAgeSeconds: 86_400,
      boxCalls: 2,
      boxLatencyMs: 300,
      tokenHash: 'aa',
    }),
    metrics: [
      'TokensIssued',
      'CacheHits',
      'BoxLatency',
      'SecretFallbacks',
      'SecretVersionAge',
      'StaleTokensServed',
      'RequestLatency',
    ],
  },
  {
    name: 'a cache hit that knows the secret age (age counted only with a Box call)',
    trace: trace({ status: 200, cacheHit: true, secretAgeSeconds: 60, tokenHash: 'aa' }),
    metrics: ['TokensIssued', 'CacheHits', 'RequestLatency'],
  },
  {
    name: 'a remembered Box configuration error',
    trace: trace({
      status: 502,
      errorCode: 'box_credentials_rejected',
      negativeCacheHit: true,
      boxError: 'invalid_client',
    }),
    metrics: ['NegativeCacheHits', 'ServerErrors', 'RequestLatency', 'BoxErrors'],
  },
  {
    name: 'a Box refusal of a user subject the caller chose',
    trace: trace({
      status: 502,
      errorCode: 'box_credentials_rejected',
      boxError: 'invalid_grant',
      boxErrorCallerChosen: true,
    }),
    metrics: ['ServerErrors', 'RequestLatency', 'BoxSubjectErrors'],
  },
  {
    name: 'a token served inside a back-off window',
    trace: trace({
      status: 200,
      cacheHit: true,
      backoffServed: true,
      servedStale: true,
      tokenHash: 'aa',
    }),
    metrics: [
      'TokensIssued',
      'CacheHits',
      'StaleTokensServed',
      'BoxBackoffServed',
      'RequestLatency',
    ],
  },
  {
    name: 'a request refused fast inside a back-off window',
    trace: trace({ status: 503, errorCode: 'box_unavailable', backoffRejected: true }),
    metrics: ['BoxBackoffRejected', 'ServerErrors', 'RequestLatency'],
  },
  {
    name: 'a caller-forced refresh refused inside its window',
    trace: trace({ status: 503, errorCode: 'box_unavailable', forcedRefreshRefused: true }),
    metrics: ['ForcedRefreshRefused', 'ServerErrors', 'RequestLatency'],
  },
  {
    name: 'a failed canary',
    trace: trace({
      entry: 'schedule',
      route: 'canary',
      operation: 'canary',
      status: 503,
      canary: 0,
    }),
    metrics: ['CanarySuccess', 'ServerErrors', 'RequestLatency'],
  },
  {
    name: 'a health check',
    trace: trace({
      route: 'GET /health',
      operation: 'health',
      status: 200,
      cacheHit: true,
      tokenHash: 'aa',
    }),
    metrics: ['CacheHits', 'RequestLatency'],
  },
  {
    name: 'a successful canary (it obtains a token but issues none)',
    trace: trace({
      entry: 'schedule',
      route: 'canary',
      operation: 'canary',
      status: 200,
      cacheHit: true,
      tokenHash: 'aa',
      canary: 1,
    }),
    metrics: ['CacheHits', 'CanarySuccess', 'RequestLatency'],
  },
  {
    name: 'a health check whose route text is a proxy resource (the operation decides)',
    trace: trace({
      route: 'GET /{proxy+}',
      operation: 'health',
      status: 200,
      cacheHit: false,
      boxCalls: 1,
      boxLatencyMs: 9,
      tokenHash: 'aa',
    }),
    metrics: ['CacheMisses', 'BoxLatency', 'RequestLatency'],
  },
  {
    name: 'a revoke whose route text is a proxy resource (the operation decides)',
    trace: trace({
      route: 'POST /{proxy+}',
      operation: 'revoke',
      status: 200,
      boxCalls: 1,
      boxLatencyMs: 5,
      tokenHash: 'aa',
    }),
    metrics: ['TokensRevoked', 'BoxLatency', 'RequestLatency'],
  },
  {
    name: 'a request that failed before any status',
    trace: trace({ failure: { name: 'TypeError', message: 'x is undefined' } }),
    metrics: ['RequestLatency'],
  },
];

describe('Class: RequestLogger', () => {
  for (const scenario of SCENARIOS) {
    it(`writes one JSON line whose EMF metrics match its numeric fields for ${scenario.name}`, () => {
      const record = written(scenario.trace);
      expect(metricNames(record)).toEqual(scenario.metrics);
      expect(hasNull(record)).toBe(false);
    });
  }

  it('writes the access record fields', () => {
    const record = written(
      trace({
        status: 200,
        cacheHit: false,
        boxCalls: 1,
        boxLatencyMs: 80,
        subject: 'enterprise:987654',
        scopes: ['item_download', 'item_preview'],
        tokenHash: 'ab12cd34',
      }),
    );
    expect(record).toMatchObject({
      level: 'INFO',
      message: 'POST /token ok',
      timestamp: new Date(T0 + 42).toISOString(),
      service: SERVICE,
      request_id: 'req-1',
      entry: 'api',
      route: 'POST /token',
      operation: 'token',
      status: 200,
      caller_kind: 'iam',
      caller_arn: 'arn:aws:sts::111122223333:assumed-role/etl/s',
      caller_account: '111122223333',
      subject: 'enterprise:987654',
      scopes: 'item_download item_preview',
      cache_hit: false,
      box_calls: 1,
      box_latency_ms: 80,
      token_sha256: 'ab12cd34',
      duration_ms: 42,
      RequestLatency: 42,
      BoxLatency: 80,
    });
  });

  it('leaves out every field the request did not have', () => {
    const record = written(trace({ status: 200 }));
    for (const absent of [
      'error',
      'caller_org',
      'decision',
      'rule_id',
      'reason',
      'subject',
      'scopes',
      'resource',
      'cache_hit',
      'secret_version_id',
      'credentials_reread',
      'box_latency_ms',
      'box_error',
      'secret_fallback',
      'secret_age_s',
      'served_stale',
      'negative_cache_hit',
      'token_sha256',
      'failure',
    ]) {
      expect(record).not.toHaveProperty(absent);
    }
    expect(hasNull(record)).toBe(false);
  });

  it('levels by status', () => {
    expect(written(trace({ status: 200 })).level).toBe('INFO');
    expect(written(trace({ status: 400, errorCode: 'invalid_request' })).level).toBe('WARN');
    expect(written(trace({ status: 503, errorCode: 'box_unavailable' })).level).toBe('ERROR');
    expect(written(trace({})).level).toBe('ERROR');
  });

  it('names the error code in the message', () => {
    expect(written(trace({ status: 400, errorCode: 'invalid_scope' })).message).toBe(
      'POST /token failed: invalid_scope',
    );
  });

  it('writes exactly once per call', () => {
    const { logger, lines } = capture();
    logger.write(trace({ status: 200 }));
    logger.write(trace({ status: 200 }));
    expect(lines).toHaveLength(2);
  });
});
