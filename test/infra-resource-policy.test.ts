import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { BoxTokenBrokerStack } from '../infra/box-token-broker-stack.js';
import { ConfigError } from '../infra/config-checks.js';
import {
  type AdmittedCallers,
  apiResourcePolicy,
  type NamedPrincipals,
  unadmittedPrincipals,
} from '../infra/resource-policy.js';

const NOBODY_NAMED: NamedPrincipals = { accounts: [], roleArns: [], orgIds: [], anyCaller: false };

function admitted(partial: Partial<AdmittedCallers>): AdmittedCallers {
  return { accountIds: [], principalArns: [], organizationId: undefined, ...partial };
}

describe('Function: unadmittedPrincipals', () => {
  it('reports accounts, roles and organizations the resource policy leaves out', () => {
    // Act
    const findings = unadmittedPrincipals(admitted({ accountIds: ['111122223333'] }), {
      ...NOBODY_NAMED,
      accounts: ['111122223333', '444455556666'],
      roleArns: ['arn:aws:iam::111122223333:role/etl', 'arn:aws:iam::999988887777:role/x-*'],
      orgIds: ['o-abcdefghij'],
    });

    // Assess
    expect(findings).toHaveLength(3);
    expect(findings[0]).toContain('account 444455556666');
    expect(findings[1]).toContain('arn:aws:iam::999988887777:role/x-*');
    expect(findings[2]).toContain('organization o-abcdefghij');
  });

  it('accepts a role admitted by an ARN pattern of the resource policy', () => {
    const findings = unadmittedPrincipals(
      admitted({ principalArns: ['arn:aws:iam::999988887777:role/etl-*'] }),
      { ...NOBODY_NAMED, roleArns: ['arn:aws:iam::999988887777:role/etl-nightly'] },
    );
    expect(findings).toEqual([]);
  });

  it('reports nothing about accounts when an organization is admitted (membership is unknown)', () => {
    const findings = unadmittedPrincipals(admitted({ organizationId: 'o-abcdefghij' }), {
      ...NOBODY_NAMED,
      accounts: ['444455556666'],
      orgIds: ['o-abcdefghij'],
    });
    expect(findings).toEqual([]);
  });

  it('gives the deploying account (a token at synth) the benefit of the doubt', () => {
    const stack = new Stack(new App(), 'S');
    const findings = unadmittedPrincipals(admitted({ accountIds: [stack.account] }), {
      ...NOBODY_NAMED,
      accounts: ['444455556666'],
    });
    expect(findings).toEqual([]);
  });
});

describe('Function: apiResourcePolicy', () => {
  it('throws when nobody would be admitted', () => {
    expect(() => apiResourcePolicy(admitted({}))).toThrow(ConfigError);
  });
});

describe('Construct: BoxTokenBroker props', () => {
  it.each([
    [
      'secretArn',
      { secretImport: { secretArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:box' } },
    ],
    ['secretKmsKeyArn', { secretImport: { secretName: 'box', secretKmsKeyArn: 'alias/box' } }],
    ['allowedAccountIds', { broker: { api: { allowedAccountIds: ['1234'] } } }],
    ['allowedOrganizationId', { broker: { api: { allowedOrganizationId: 'org-1' } } }],
    ['tenantSecretPrefix', { broker: { tenantSecretPrefix: 'box-tenants' } }],
    ['tenantSecretPrefix', { broker: { tenantSecretPrefix: 'box tenants/' } }],
  ])('throws naming %s when it has the wrong shape', (prop, props) => {
    // Validation runs before bundling, so no asset is built here.
    expect(() => new BoxTokenBrokerStack(new App(), 'S', props)).toThrow(
      new RegExp(`prop ${prop}`),
    );
  });

  it('throws when a tuning value is out of the range the function accepts', () => {
    expect(
      () => new BoxTokenBrokerStack(new App(), 'S', { broker: { tuning: { boxMaxAttempts: 0 } } }),
    ).toThrow(/BOX_MAX_ATTEMPTS/);
  });
});
