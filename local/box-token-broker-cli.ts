#!/usr/bin/env tsx
/**
 * `box-token-broker`: operator commands. `validate-policy FILE` checks an access policy file
 * exactly as `cdk synth` and the function's cold start do; every other command (`check`,
 * `tenant …`, `--help`, and an unknown one) goes to the setup CLI (local/setup/cli.ts,
 * docs/setup-check.md), which owns the usage text and the command table.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  operatorFleetControls,
  operatorInvitations,
  operatorTenantHealth,
} from '../lambda/state/fleet-state.js';
import { runSetupCli } from './setup/cli.js';
import { terminalPrompt } from './setup/secret-prompt.js';
import { main as validatePolicy } from './validate-policy.js';

const args = process.argv.slice(2);
const [command, ...rest] = args;

if (command === 'validate-policy') {
  process.exitCode = validatePolicy(rest, {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  });
} else {
  process.exitCode = await runSetupCli(
    command === 'help' ? ['--help'] : args,
    {
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
      env: process.env,
      prompt: terminalPrompt(),
    },
    {
      secretsManager: () => new SecretsManagerClient({}),
      fleetControls: (tableName) => operatorFleetControls(tableName),
      tenantHealth: (tableName) => operatorTenantHealth(tableName),
      invitations: (tableName) => operatorInvitations(tableName),
    },
  );
}
