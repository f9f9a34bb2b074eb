/**
 * 1,000 tenants in one execution environment: the real handler with a tenant secret prefix, every
 * tenant's secret served by the Secrets Manager wire fake and every tenant minting at the Box
 * simulator. Measures the first request per tenant (a secret read and a Box grant: the cold
 * per-tenant cost), cache hits spread over all tenants, and the process's memory after it.
 */
import { buildBrokerUnderTest, expectOk } from './broker-under-test.js';
import { APP_CALLER, type PreparedInvocation, tokenEvent } from './fakes/api-events.js';
import { startUpstreams } from './fakes/upstreams.js';
import { percentilesOf, type RunPercentiles } from './stats.js';
import { collectGarbage, sampleLatencies } from './timing.js';

export interface MultiTenantOptions {
  tenants: number;
  /** Cache hits measured, spread over every tenant. */
  warmRequests: number;
}

export interface MultiTenantResult {
  options: MultiTenantOptions;
  /** First request of each tenant: GetSecretValue + Box grant + the request itself, in µs. */
  coldPerTenant: RunPercentiles;
  /** Cache hits across all tenants (a different tenant almost every request), in µs. */
  warmHit: RunPercentiles;
  /** Upstream calls over the whole scenario: one secret read and one Box grant per tenant. */
  upstreamCalls: { getSecretValue: number; boxToken: number };
  /** The bench process after the scenario (it also holds the fakes and the events). */
  memoryMB: { rss: number; heapUsed: number; heapGrowth: number };
}

const PREFIX = 'box-token-broker/tenants/';
/** The application role may use every tenant. */
const TENANT_POLICY = {
  version: 1,
  rules: [
    {
      id: 'app-every-tenant',
      callers: ['arn:aws:iam::111122223333:role/app-*'],
      tenants: ['*'],
      subjects: ['enterprise'],
    },
  ],
};

/** Runs the scenario on its own fakes; defaults for everything but the prefix and the policy. */
export async function measureMultiTenant(options: MultiTenantOptions): Promise<MultiTenantResult> {
  const upstreams = await startUpstreams();
  try {
    upstreams.secrets.serveTenants(PREFIX);
    collectGarbage();
    const heapBefore = process.memoryUsage().heapUsed;
    const broker = buildBrokerUnderTest(upstreams, {
      env: {
        BOX_TENANT_SECRET_PREFIX: PREFIX,
        BOX_ACCESS_POLICY: JSON.stringify(TENANT_POLICY),
        BOX_TOKEN_CACHE_MAX_ENTRIES: String(Math.max(1000, options.tenants)),
        BOX_TENANT_CACHE_MAX_ENTRIES: String(Math.max(1000, options.tenants)),
      },
    });
    const ids = Array.from({ length: options.tenants }, (_, i) => `tenant-${i}`);
    const events: PreparedInvocation[] = ids.map((tenant) =>
      tokenEvent(JSON.stringify({ tenant }), APP_CALLER),
    );
    const call = async (prepared: PreparedInvocation) =>
      expectOk(await broker.handler(prepared.event, prepared.context));

    const cold = await sampleLatencies(events.length, (i) => call(events[i] as PreparedInvocation));
    // A stride coprime with the tenant count visits every tenant in a scattered order.
    const stride = 7919;
    const warm = await sampleLatencies(options.warmRequests, (i) =>
      call(events[(i * stride) % events.length] as PreparedInvocation),
    );
    const memory = process.memoryUsage();
    return {
      options,
      coldPerTenant: percentilesOf(cold),
      warmHit: percentilesOf(warm),
      upstreamCalls: {
        getSecretValue: upstreams.secrets.getSecretValueCalls,
        boxToken: upstreams.box.tokenCallCount(),
      },
      memoryMB: {
        rss: memory.rss / 1024 ** 2,
        heapUsed: memory.heapUsed / 1024 ** 2,
        heapGrowth: (memory.heapUsed - heapBefore) / 1024 ** 2,
      },
    };
  } finally {
    await upstreams.close();
  }
}
