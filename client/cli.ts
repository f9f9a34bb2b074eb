#!/usr/bin/env node
/**
 * `box-token`: a Box token from box-token-broker on stdout. See {@link USAGE} and
 * {@link EXIT_CODES} in ./cli-run.ts.
 */
import { runCli } from './cli-run.js';

const code = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
});
process.exitCode = code;
