/**
 * A tenant is a secret under the prefix that carries the tenant tag `tenant add` writes: the
 * function's role may read no other secret under the prefix (docs/tenants.md, "Security").
 */
import { App, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { brokerSecrets } from '../infra/broker-secrets.js';
import { readContext } from '../infra/context.js';
import { TENANT_TAGS } from '../local/setup/tenant-registry.js';

function tenantStatement(requireTenantTag?: boolean) {
  const stack = new Stack(new App(), 'Scene', {
    env: { account: '111122223333', region: 'eu-west-1' },
  });
  const secrets = brokerSecrets(new Construct(stack, 'Broker'), {
    tenantSecretPrefix: 'box-token-broker/tenants/',
    ...(requireTenantTag === undefined ? {} : { requireTenantTag }),
  });
  const statement = secrets.statements.find((s) => s.sid === 'ReadTenantCredentials');
  return stack.resolve(statement?.toStatementJson()) as { Condition?: unknown; Action: unknown };
}

describe('Function: brokerSecrets (tenant tag condition)', () => {
  it('reads a secret under the prefix only when it carries the tag tenant add writes', () => {
    const statement = tenantStatement();
    expect(statement.Action).toBe('secretsmanager:GetSecretValue');
    expect(statement.Condition).toEqual({
      Null: { [`aws:ResourceTag/${TENANT_TAGS.tenant}`]: 'false' },
    });
  });

  it('drops the condition only when told to (requireTenantTag: false)', () => {
    expect(tenantStatement(true).Condition).toBeDefined();
    expect(tenantStatement(false).Condition).toBeUndefined();
  });

  it('reads requireTenantTag from the context, as cdk.json JSON or a -c string', () => {
    const context: Record<string, unknown> = { requireTenantTag: 'false' };
    expect(readContext((key) => context[key]).broker.requireTenantTag).toBe(false);
    context.requireTenantTag = true;
    expect(readContext((key) => context[key]).broker.requireTenantTag).toBe(true);
  });
});
