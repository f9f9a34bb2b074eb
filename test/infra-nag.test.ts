import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Stack } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../infra/create-app.js';
import { STACK_NAME, type Synthesized, synth } from './infra-synth.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

interface ValidationReport {
  pluginReports: {
    pluginName: string;
    conclusion: string;
    violations: unknown[];
    suppressedViolations?: { ruleName: string; acknowledgedId?: string; reason?: string }[];
  }[];
}

function report(outdir: string): ValidationReport {
  return JSON.parse(
    readFileSync(join(outdir, 'validation-report.json'), 'utf8'),
  ) as ValidationReport;
}

/** Every acknowledgement the app may make, each for a reason stated in the construct. */
const EXPECTED_ACKNOWLEDGEMENTS = new Set([
  'AwsSolutions::AwsSolutions-COG4',
  'AwsSolutions::AwsSolutions-APIG3',
  'AwsSolutions::AwsSolutions-APIG6',
  'AwsSolutions::AwsSolutions-SMG4',
  'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
  'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
  // The tenants' secrets: exactly secret:<prefix>* (the prefix of the scenarios below).
  'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:box-token-broker/tenants/*]',
]);

function assertCleanReport(outdir: string): void {
  const { pluginReports } = report(outdir);
  expect(pluginReports.map((p) => p.pluginName)).toContain('AwsSolutions');
  for (const plugin of pluginReports) {
    expect(plugin.violations, plugin.pluginName).toEqual([]);
    expect(plugin.conclusion).toBe('success');
    for (const suppressed of plugin.suppressedViolations ?? []) {
      expect(EXPECTED_ACKNOWLEDGEMENTS).toContain(suppressed.acknowledgedId);
      // A reason is a sentence about this deployment, not a shrug.
      expect(suppressed.reason?.length ?? 0).toBeGreaterThan(80);
    }
  }
}

describe('cdk-nag AwsSolutions on the app', () => {
  let plain: Synthesized;
  let everything: Synthesized;
  let tenantsOnly: Synthesized;
  beforeAll(() => {
    plain = synth();
    tenantsOnly = synth({
      defaultSecret: false,
      tenantSecretPrefix: 'box-token-broker/tenants/',
      secretKmsKeyArn:
        'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    });
    everything = synth({
      secretName: 'box/ccg',
      secretKmsKeyArn:
        'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      tracing: true,
      apiGatewayCloudWatchRole: true,
      allowedOrganizationId: 'o-abcdefghij',
      tenantSecretPrefix: 'box-token-broker/tenants/',
    });
  });
  afterAll(() => {
    plain?.dispose();
    everything?.dispose();
    tenantsOnly?.dispose();
  });

  it('reports zero unacknowledged findings for a tenants-only broker', () => {
    assertCleanReport(tenantsOnly.outdir);
    // The wildcards are acknowledged for the tenants' prefix and for ListSecrets (which has no
    // resource-level permission), and for nothing else.
    const suppressed = report(tenantsOnly.outdir).pluginReports.flatMap(
      (p) => p.suppressedViolations ?? [],
    );
    const wildcards = suppressed.filter((v) => v.acknowledgedId?.includes('IAM5'));
    expect(wildcards.map((v) => v.acknowledgedId).sort()).toEqual([
      'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:box-token-broker/tenants/*]',
    ]);
    const listing = wildcards.find((v) => v.acknowledgedId?.endsWith('[Resource::*]'));
    expect(listing?.reason).toContain('ListSecrets');
  });

  it('reports zero unacknowledged findings with the default context', () => {
    assertCleanReport(plain.outdir);
  });

  it('reports zero unacknowledged findings with every optional feature on', () => {
    assertCleanReport(everything.outdir);
  });

  it('fails synth when a resource has an unacknowledged finding', () => {
    // Arrange: the real app plus one secret nobody justified.
    const outdir = mkdtempSync(join(tmpdir(), 'box-token-broker-nag-'));
    const app = createApp({ outdir, context: {} });
    new Secret(app.node.findChild(STACK_NAME) as Stack, 'Unjustified');

    // Act / Assess
    try {
      expect(() => app.synth()).toThrow();
      expect(JSON.stringify(report(outdir))).toContain('Unjustified');
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});

describe('cdk synth (the CLI, from the repository root)', () => {
  it('synthesizes offline, without Docker, with cdk.json', () => {
    // Arrange
    const outdir = mkdtempSync(join(tmpdir(), 'box-token-broker-cli-'));

    try {
      // Act
      const result = spawnSync('npx', ['cdk', 'synth', '-q', '--no-notices', '-o', outdir], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        // No credentials, no Docker: what CI has.
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: '',
          AWS_SECRET_ACCESS_KEY: '',
          DOCKER_HOST: 'unix:///nonexistent',
        },
      });

      // Assess
      expect(result.status, result.stderr).toBe(0);
      expect(existsSync(join(outdir, `${STACK_NAME}.template.json`))).toBe(true);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
