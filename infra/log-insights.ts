import { HEALTH_OPERATION } from '../lambda/health/health-monitor.js';
import { BROKER_METRIC_NAMES } from './broker-metrics.js';

/**
 * Fields of the function's one JSON log line per request (lambda/trace/request-logger.ts) that the
 * per-tenant queries read. `tenant` is contract v1.1's (every line carries it; `default` for the
 * default tenant); lines written before it existed count as `default`.
 */
export const LOG_FIELDS = {
  tenant: 'tenant',
  /** The HTTP status of the answer (direct invocations too). */
  status: 'status',
  /** The contract's error code of a failed request; absent on success. */
  errorCode: 'error',
  /** What was asked: `token`, `revoke`, `health` or `canary` (the route is in `route`). */
  operation: 'operation',
} as const;

/** The tenant of a line, `default` when the line has none. */
const TENANT = `coalesce(${LOG_FIELDS.tenant}, "default") as tenant_id`;

/**
 * Logs Insights: per tenant, the requests, the tokens issued (the line's EMF `TokensIssued`
 * value) and the failed requests, busiest failures first. A per-tenant metric dimension would
 * cost one metric per tenant and name; the log already holds the answer.
 */
export function issuanceByTenantQuery(): string[] {
  return [
    `fields ${TENANT}`,
    `filter ispresent(${LOG_FIELDS.status})`,
    `stats count(*) as requests, sum(${BROKER_METRIC_NAMES.tokensIssued}) as issued, ` +
      `count(${LOG_FIELDS.errorCode}) as errors by tenant_id`,
    'sort errors desc',
    'limit 50',
  ];
}

/** Logs Insights: failed requests per tenant, error code and operation. */
export function errorsByTenantQuery(): string[] {
  return [
    `fields ${TENANT}`,
    `filter ispresent(${LOG_FIELDS.errorCode})`,
    `stats count(*) as errors by tenant_id, ${LOG_FIELDS.errorCode}, ${LOG_FIELDS.operation}`,
    'sort errors desc',
    'limit 50',
  ];
}

/**
 * Logs Insights: each tenant's last announced health transition (the health monitor's lines,
 * operation `tenant_health`), unhealthy tenants first, with the reason and since when.
 */
export function tenantHealthQuery(): string[] {
  return [
    `fields ${LOG_FIELDS.tenant}`,
    `filter ${LOG_FIELDS.operation} = "${HEALTH_OPERATION}" and ispresent(health)`,
    `stats latest(health) as state, latest(reason) as why, latest(since) as since_when by ${LOG_FIELDS.tenant}`,
    // `unhealthy` sorts after `healthy`: descending puts the unhealthy tenants first.
    'sort state desc',
    'limit 100',
  ];
}
