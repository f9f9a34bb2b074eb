/**
 * The request logger: writes each request's trace as its one JSON log line (access record, audit
 * event and CloudWatch Embedded Metric Format metrics in one object), with nothing secret in it.
 */
import { DEFAULT_TENANT } from '../contract.js';
import type { RequestTrace } from './request-trace.js';

/** Where log lines go; Lambda ships stdout to CloudWatch Logs. */
export type LogSink = (line: string) => void;

/** Writes straight to stdout: one write per request, and EMF needs the raw JSON line. */
export const stdoutSink: LogSink = (line) => {
  process.stdout.write(`${line}\n`);
};

export interface RequestLoggerOptions {
  /** CloudWatch namespace (POWERTOOLS_METRICS_NAMESPACE). */
  namespace: string;
  /** `service` dimension and field (POWERTOOLS_SERVICE_NAME). */
  service: string;
  sink?: LogSink;
  now?: () => number;
  /**
   * Tenants whose TokensIssued and BoxErrors are also emitted with a `tenant` dimension
   * (BOX_METRICS_TENANT_ALLOWLIST). Opt-in and small: a dimension value per tenant is a custom
   * metric per tenant on the CloudWatch bill; every other tenant is seen through the logs.
   */
  tenantMetrics?: readonly string[];
}

type MetricUnit = 'Count' | 'Milliseconds' | 'Seconds';

/** A log line that is not a request's (the scheduled setup check's summary, say). */
export interface LogEvent {
  level: 'INFO' | 'WARN' | 'ERROR';
  message: string;
  /** Further fields of the line; undefined ones are left out. */
  fields: Record<string, unknown>;
  /** Counts to publish in Embedded Metric Format under the `service` dimension. */
  metrics?: readonly [name: string, value: number][];
}

/**
 * Writes the one JSON line of a request: the access record, the audit event, and the CloudWatch
 * metrics in Embedded Metric Format (the metrics are extracted by CloudWatch, no API call).
 */
export class RequestLogger {
  private readonly sink: LogSink;
  private readonly now: () => number;
  private readonly tenantMetrics: ReadonlySet<string>;

  constructor(private readonly options: RequestLoggerOptions) {
    this.sink = options.sink ?? stdoutSink;
    this.now = options.now ?? Date.now;
    this.tenantMetrics = new Set(options.tenantMetrics ?? []);
  }

  /** Writes one event line, with its metrics (if any) in Embedded Metric Format. */
  writeEvent(event: LogEvent): void {
    const timestamp = this.now();
    const record: Record<string, unknown> = {
      level: event.level,
      message: event.message,
      timestamp: new Date(timestamp).toISOString(),
      service: this.options.service,
      ...event.fields,
    };
    const metrics = event.metrics ?? [];
    if (metrics.length > 0) {
      for (const [name, value] of metrics) record[name] = value;
      record._aws = {
        Timestamp: timestamp,
        CloudWatchMetrics: [
          directive(
            this.options.namespace,
            [['service']],
            metrics.map(([name, value]): [string, number, MetricUnit] => [name, value, 'Count']),
          ),
        ],
      };
    }
    this.sink(JSON.stringify(record));
  }

  /** Logs a finished request. */
  write(trace: RequestTrace): void {
    const timestamp = this.now();
    const metrics = metricsOf(trace, timestamp);
    // An onboarding request names its tenant only through a live code: before that (the page,
    // an unknown code, a malformed body) it claims none, not the default tenant.
    const tenant = trace.tenant ?? (trace.operation === 'onboard' ? undefined : DEFAULT_TENANT);
    const record: Record<string, unknown> = {
      level: levelOf(trace.status ?? 500),
      message: messageOf(trace),
      timestamp: new Date(timestamp).toISOString(),
      service: this.options.service,
      tenant,
      request_id: trace.requestId,
      entry: trace.entry,
      route: trace.route,
      operation: trace.operation,
      status: trace.status,
      error: trace.errorCode,
      caller_kind: trace.caller.kind,
      caller_arn: trace.caller.arn,
      caller_account: trace.caller.accountId,
      caller_org: trace.caller.principalOrgId,
      decision: trace.decision,
      rule_id: trace.ruleId,
      reason: trace.reason,
      subject: trace.subject,
      scopes: trace.scopes === undefined ? undefined : trace.scopes.join(' '),
      resource: trace.resource,
      cache_hit: trace.cacheHit,
      secret_version_id: trace.secretVersionId,
      credentials_reread: trace.credentialsReread,
      secret_fallback: trace.secretFallback,
      secret_age_s: trace.secretAgeSeconds,
      served_stale: trace.servedStale,
      negative_cache_hit: trace.negativeCacheHit,
      box_calls: trace.boxCalls,
      box_latency_ms: trace.boxCalls > 0 ? trace.boxLatencyMs : undefined,
      box_error: trace.boxError,
      box_error_caller_chosen: trace.boxErrorCallerChosen === true ? true : undefined,
      backoff_served: trace.backoffServed,
      backoff_rejected: trace.backoffRejected,
      forced_refresh_refused: trace.forcedRefreshRefused,
      dead_token_dropped: trace.deadTokenDropped,
      fallback_recheck_failed: trace.fallbackRecheckFailed,
      state_hit: trace.stateHit,
      state_error: trace.stateError,
      state_wait_ms: trace.stateWaitMs,
      token_sha256: trace.tokenHash,
      onboard_outcome: trace.onboardOutcome,
      failed_steps:
        trace.failedSteps === undefined || trace.failedSteps.length === 0
          ? undefined
          : trace.failedSteps,
      source_ip: trace.sourceIp,
      duration_ms: timestamp - trace.startedAtMs,
      failure: trace.failure,
    };
    const directives: Record<string, unknown>[] = [];
    if (metrics.length > 0) {
      directives.push(directive(this.options.namespace, [['service']], metrics));
      for (const [name, value] of metrics) record[name] = value;
    }
    if (trace.boxError !== undefined) {
      // Box errors are counted per OAuth error code too, so an alarm can tell a bad secret
      // (invalid_client) from throttling (box_unavailable). A refusal of inputs a caller chose
      // (a user subject, an exchange) is counted apart: no caller can fire the deployment's alarms.
      const name = trace.boxErrorCallerChosen === true ? 'BoxSubjectErrors' : 'BoxErrors';
      directives.push(
        directive(
          this.options.namespace,
          [['service'], ['service', 'box_error']],
          [[name, 1, 'Count']],
        ),
      );
      record[name] = 1;
    }
    if (this.tenantMetrics.size > 0 && tenant !== undefined && this.tenantMetrics.has(tenant)) {
      const perTenant: [string, number, MetricUnit][] = [];
      if (record.TokensIssued === 1) perTenant.push(['TokensIssued', 1, 'Count']);
      if (record.BoxErrors === 1) perTenant.push(['BoxErrors', 1, 'Count']);
      if (perTenant.length > 0) {
        directives.push(directive(this.options.namespace, [['service', 'tenant']], perTenant));
      }
    }
    if (directives.length > 0) {
      record._aws = { Timestamp: timestamp, CloudWatchMetrics: directives };
    }
    // JSON.stringify drops undefined fields, so the line carries only what the request had.
    this.sink(JSON.stringify(record));
  }
}

function directive(
  namespace: string,
  dimensions: string[][],
  metrics: [string, number, MetricUnit][],
): Record<string, unknown> {
  return {
    Namespace: namespace,
    Dimensions: dimensions,
    Metrics: metrics.map(([name, , unit]) => ({ Name: name, Unit: unit })),
  };
}

function metricsOf(trace: RequestTrace, timestamp: number): [string, number, MetricUnit][] {
  const metrics: [string, number, MetricUnit][] = [];
  // Health checks and the canary also obtain a token, but hand none out: not counted as issued.
  if (trace.status === 200 && trace.tokenHash !== undefined) {
    if (trace.operation === 'token') metrics.push(['TokensIssued', 1, 'Count']);
    else if (trace.operation === 'revoke') metrics.push(['TokensRevoked', 1, 'Count']);
  }
  if (trace.cacheHit === true) metrics.push(['CacheHits', 1, 'Count']);
  if (trace.cacheHit === false) metrics.push(['CacheMisses', 1, 'Count']);
  if (trace.decision === 'deny') metrics.push(['AccessDenied', 1, 'Count']);
  if (trace.boxCalls > 0) metrics.push(['BoxLatency', trace.boxLatencyMs, 'Milliseconds']);
  if (trace.credentialsReread === true) metrics.push(['SecretRereads', 1, 'Count']);
  if (trace.secretFallback === true) metrics.push(['SecretFallbacks', 1, 'Count']);
  if (trace.secretAgeSeconds !== undefined && trace.boxCalls > 0) {
    metrics.push(['SecretVersionAge', trace.secretAgeSeconds, 'Seconds']);
  }
  if (trace.servedStale === true) metrics.push(['StaleTokensServed', 1, 'Count']);
  if (trace.backoffServed === true) metrics.push(['BoxBackoffServed', 1, 'Count']);
  if (trace.backoffRejected === true) metrics.push(['BoxBackoffRejected', 1, 'Count']);
  if (trace.forcedRefreshRefused === true) metrics.push(['ForcedRefreshRefused', 1, 'Count']);
  if (trace.negativeCacheHit === true) metrics.push(['NegativeCacheHits', 1, 'Count']);
  if (trace.stateHit === true) metrics.push(['StateHits', 1, 'Count']);
  if ((trace.stateErrors ?? 0) > 0) metrics.push(['StateErrors', trace.stateErrors ?? 0, 'Count']);
  if ((trace.stateItemsRejected ?? 0) > 0) {
    metrics.push(['StateItemsRejected', trace.stateItemsRejected ?? 0, 'Count']);
  }
  if (trace.canary !== undefined) metrics.push(['CanarySuccess', trace.canary, 'Count']);
  if (trace.status !== undefined && trace.status >= 500) metrics.push(['ServerErrors', 1, 'Count']);
  metrics.push(['RequestLatency', timestamp - trace.startedAtMs, 'Milliseconds']);
  return metrics;
}

function levelOf(status: number): 'INFO' | 'WARN' | 'ERROR' {
  if (status >= 500) return 'ERROR';
  if (status >= 400) return 'WARN';
  return 'INFO';
}

function messageOf(trace: RequestTrace): string {
  if (trace.errorCode !== undefined) return `${trace.route} failed: ${trace.errorCode}`;
  return `${trace.route} ok`;
}
