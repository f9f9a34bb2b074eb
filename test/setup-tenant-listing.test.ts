import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { noDeadline } from '../lambda/deadline.js';
import { readSecretValue } from '../lambda/secret-format.js';
import { listTenants } from '../lambda/setup/tenant-listing.js';

const PREFIX = 'box-token-broker/tenants/';
const client = new SecretsManagerClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-real-key' },
});
const secretsManager = mockClient(client);
afterEach(() => secretsManager.reset());

describe('Function: listTenants', () => {
  it('skips secrets scheduled for deletion, ignores non-IDs and default, sorts, and dedupes', async () => {
    // Arrange
    secretsManager.on(ListSecretsCommand).resolves({
      SecretList: [
        { Name: `${PREFIX}zeta` },
        { Name: `${PREFIX}alpha` },
        { Name: `${PREFIX}leaving`, DeletedDate: new Date('2026-12-01T00:00:00Z') },
        { Name: `${PREFIX}UPPER` },
        { Name: `${PREFIX}default` },
        { Name: `${PREFIX}nested/path` },
        { Name: `${PREFIX}alpha` },
        { Name: 'elsewhere/box-token-broker/tenants/x' },
      ],
    });

    // Act
    const listing = await listTenants(client, PREFIX, noDeadline());

    // Assess
    expect(listing).toEqual({ tenantIds: ['alpha', 'zeta'], ignored: 3 });
    const input = secretsManager.commandCalls(ListSecretsCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ Filters: [{ Key: 'name', Values: [PREFIX] }], MaxResults: 100 });
  });
});

describe('Function: readSecretValue', () => {
  it('reads own keys only: an inherited or __proto__ clientSecret is missing', () => {
    const reading = readSecretValue(
      '{"clientId":"c","enterpriseId":"1","__proto__":{"clientSecret":"s"}}',
    );
    expect(reading).toEqual({ ok: false, problem: { kind: 'missing_key', key: 'clientSecret' } });
  });

  it('names the placeholder key and never a value', () => {
    const reading = readSecretValue(
      '{"clientId":"REPLACE_WITH_BOX_CLIENT_ID","clientSecret":"s3cr3t","enterpriseId":"1"}',
    );
    expect(reading).toEqual({ ok: false, problem: { kind: 'placeholder', key: 'clientId' } });
    expect(JSON.stringify(reading)).not.toContain('s3cr3t');
  });

  it('trims the values and requires a numeric enterprise ID', () => {
    expect(readSecretValue('{"clientId":" c ","clientSecret":"s","enterpriseId":" 42 "}')).toEqual({
      ok: true,
      credentials: { clientId: 'c', clientSecret: 's', enterpriseId: '42' },
    });
    expect(readSecretValue('{"clientId":"c","clientSecret":"s","enterpriseId":"acme"}')).toEqual({
      ok: false,
      problem: { kind: 'enterprise_id_not_digits' },
    });
  });
});
