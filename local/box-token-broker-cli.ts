#!/usr/bin/env tsx
/**
 * `box-token-broker`: operator commands. `validate-policy FILE` checks an access policy file
 * exactly as `cdk synth` and the function's cold start do; `check` and `tenant …` run the Box
 * setup check and manage tenants (see local/setup/cli.ts, docs/setup-check.md).
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SETUP_USAGE } from './setup/arguments.js';
import { runSetupCli } from './setup/cli.js';
import { terminalPrompt } from './setup/secret-prompt.js';
import { main as validatePolicy } from './validate-policy.js';

const USAGE = `usage: box-token-broker validate-policy FILE\n${SETUP_USAGE}`;
const args = process.argv.slice(2);
const [command, ...rest] = args;
const write = {
  out: (line: string) => process.stdout.write(`${line}\n`),
  err: (line: string) => process.stderr.write(`${line}\n`),
};

if (command === 'validate-policy') {
  process.exitCode = validatePolicy(rest, write);
} else if (
  command === 'check' ||
  command === 'tenant' ||
  command === '--help' ||
  command === '-h'
) {
  process.exitCode = await runSetupCli(
    args,
    {
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
      env: process.env,
      prompt: terminalPrompt(),
    },
    { secretsManager: () => new SecretsManagerClient({}) },
  );
} else {
  write.err(USAGE);
  process.exitCode = 2;
}
