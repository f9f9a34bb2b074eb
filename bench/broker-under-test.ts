/**
 * The real handler, built in-process exactly as `lambda/handler.ts` builds it (config from an
 * environment, `buildBroker`, `createHandler`, `RequestLogger`), with the Secrets Manager client
 * pointed at the wire fake and Box at the simulator.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { createHandler } from '../lambda/app.js';
import { loadConfig } from '../lambda/config.js';
import { buildBroker } from '../lambda/runtime.js';
import { RequestLogger } from '../lambda/trace/request-logger.js';
import type { RequestTrace } from '../lambda/trace/request-trace.js';
import { BENCH_POLICY } from './fakes/api-events.js';
import type { Upstreams } from './fakes/upstreams.js';

/** How the request's log line is handled. */
export type LogMode =
  /** Serialised by the real RequestLogger, then handed to a sink that only counts bytes. */
  | 'serialised'
  /** Not built at all: the handler's cost without its log line. */
  | 'off';

/** The handler's call signature as the bench drives it. */
export type BenchHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<unknown>;

export interface BrokerUnderTest {
  handler: BenchHandler;
  /** Log lines and bytes the sink received. */
  log: { lines: number; bytes: number };
}

export interface BrokerUnderTestOptions {
  logMode?: LogMode;
  /** Injected clock for broker, cache and credentials TTL. @default Date.now */
  now?: () => number;
  /** Extra environment (e.g. `BOX_TOKEN_CACHE_MAX_ENTRIES`). */
  env?: Record<string, string>;
}

/** A RequestLogger that writes nothing: isolates what the log line costs. */
class SilentLogger extends RequestLogger {
  override write(_trace: RequestTrace): void {}
}

/** Builds the handler under test against `upstreams`. */
export function buildBrokerUnderTest(
  upstreams: Upstreams,
  options: BrokerUnderTestOptions = {},
): BrokerUnderTest {
  const env = {
    BOX_CREDENTIALS_SECRET: upstreams.env().BOX_CREDENTIALS_SECRET,
    BOX_API_URL: upstreams.box.url,
    BOX_ACCESS_POLICY: JSON.stringify(BENCH_POLICY),
    ...options.env,
  };
  const config = loadConfig(env);
  const log = { lines: 0, bytes: 0 };
  const loggerOptions = {
    namespace: config.metricsNamespace,
    service: config.serviceName,
    sink: (line: string) => {
      log.lines += 1;
      log.bytes += line.length;
    },
    ...(options.now === undefined ? {} : { now: options.now }),
  };
  const logger =
    (options.logMode ?? 'serialised') === 'off'
      ? new SilentLogger(loggerOptions)
      : new RequestLogger(loggerOptions);
  const broker = buildBroker(config, {
    secretsManager: upstreams.secretsManagerClient(),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  const handler = createHandler({
    broker,
    logger,
    requestBudgetMs: config.boxRetryBudgetMs,
    ...(options.now === undefined ? {} : { now: options.now }),
  }) as unknown as BenchHandler;
  return { handler, log };
}

/** Throws unless the handler answered 200: a benchmark of error answers measures nothing. */
export function expectOk(result: unknown): APIGatewayProxyResult {
  const response = result as APIGatewayProxyResult | undefined;
  if (response?.statusCode !== 200) {
    throw new Error(
      `handler answered ${response?.statusCode ?? 'nothing'}: ${response?.body?.slice(0, 200) ?? ''}`,
    );
  }
  return response;
}
