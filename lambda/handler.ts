/**
 * The Lambda entry point. Everything is built once per execution environment (cold start);
 * a configuration error is answered to every request as `misconfigured` rather than crashing
 * the runtime, so callers and operators see which variable to fix.
 */
import { createHandler } from './app.js';
import { loadTelemetryConfig } from './config.js';
import { buildRuntime } from './runtime.js';
import { RequestLogger } from './trace/request-logger.js';

const telemetry = loadTelemetryConfig(process.env);

const logger = new RequestLogger({
  namespace: telemetry.metricsNamespace,
  service: telemetry.serviceName,
  tenantMetrics: telemetry.metricsTenantAllowlist,
});

export const handler = createHandler({
  ...buildRuntime(process.env, { log: (event) => logger.writeEvent(event) }),
  logger,
});
