#!/usr/bin/env tsx
/**
 * `box-token-broker`: operator commands. Today one: `validate-policy FILE`, which checks an
 * access policy file exactly as `cdk synth` and the function's cold start do.
 */
import { main as validatePolicy } from './validate-policy.js';

const USAGE = 'usage: box-token-broker validate-policy FILE';
const [command, ...args] = process.argv.slice(2);
const write = {
  out: (line: string) => process.stdout.write(`${line}\n`),
  err: (line: string) => process.stderr.write(`${line}\n`),
};

if (command === 'validate-policy') {
  process.exitCode = validatePolicy(args, write);
} else {
  write.err(USAGE);
  process.exitCode = 2;
}
