/**
 * The Lambda entry point. Everything is built once per execution environment (cold start);
 * a configuration error is answered to every request as `misconfigured` rather than crashing
 * the runtime, so callers and operators see which variable to fix.
 */
import { createHandler } from './app.js';
import { loadConfig, loadTelemetryConfig } from './config.js';
import { RequestLogger } from './request-log.js';
import { buildBroker, buildBrokerOrError } from './runtime.js';

const telemetry = loadTelemetryConfig();

export const handler = createHandler({
  broker: buildBrokerOrError(() => buildBroker(loadConfig())),
  logger: new RequestLogger({
    namespace: telemetry.metricsNamespace,
    service: telemetry.serviceName,
  }),
});
