import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ICommandHooks } from 'aws-cdk-lib/aws-lambda-nodejs';
import {
  type CompiledPolicy,
  compilePolicy,
  PolicyValidationError,
  parsePolicyJson,
} from '../lambda/policy/access-policy.js';
import { ConfigError } from './config-checks.js';

/** Where the function finds the policy the construct ships inside its bundle. */
export const ACCESS_POLICY_BUNDLE_FILE = 'access-policy.json';
/** Lambda unpacks the bundle under `/var/task`. */
export const ACCESS_POLICY_RUNTIME_PATH = `/var/task/${ACCESS_POLICY_BUNDLE_FILE}`;

/** An access policy validated at synth, ready to ship. */
export interface ShippedAccessPolicy {
  /** The compiled policy, for synth-time checks against the resource policy. */
  policy: CompiledPolicy;
  /** The document, minified: what the function reads. */
  json: string;
}

/**
 * Reads and validates the access policy given as an object or as a file. An invalid policy
 * fails synth with every error's JSON path, so a bad policy never reaches an account.
 *
 * @returns undefined when neither is given (the function then applies its default policy).
 */
export function loadAccessPolicy(options: {
  accessPolicy?: object | undefined;
  accessPolicyFile?: string | undefined;
}): ShippedAccessPolicy | undefined {
  const { accessPolicy, accessPolicyFile } = options;
  if (accessPolicy !== undefined && accessPolicyFile !== undefined) {
    throw new ConfigError('Set only one of accessPolicy and accessPolicyFile.');
  }
  if (accessPolicyFile !== undefined) {
    const path = resolve(accessPolicyFile);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new ConfigError(`Cannot read the access policy file ${path}.`, { cause: error });
    }
    const policy = withSource(`file ${path}`, () => parsePolicyJson(text));
    // parsePolicyJson accepted it, so it is JSON; re-serialise to drop whitespace.
    return { policy, json: JSON.stringify(JSON.parse(text)) };
  }
  if (accessPolicy !== undefined) {
    const policy = withSource('accessPolicy', () => compilePolicy(accessPolicy));
    return { policy, json: JSON.stringify(accessPolicy) };
  }
  return undefined;
}

function withSource(source: string, compile: () => CompiledPolicy): CompiledPolicy {
  try {
    return compile();
  } catch (error) {
    if (error instanceof PolicyValidationError) {
      const lines = error.errors.map((entry) => `  ${entry.path}: ${entry.message}`);
      throw new ConfigError(`The access policy (${source}) is invalid:\n${lines.join('\n')}`, {
        cause: error,
      });
    }
    throw error;
  }
}

/**
 * Bundling hooks that put the policy into the function's bundle as `access-policy.json`.
 *
 * The policy always travels as a file, never as an environment variable: Lambda caps the whole
 * environment at 4 KB, which a policy with a few dozen rules already exceeds. A file scales to
 * hundreds of rules, and because the asset hash covers the bundle's output, editing the policy
 * redeploys the function. The file is staged under the OS temp directory by content hash and
 * copied with `node` so the hook runs the same in any shell (bundling is always local).
 */
export function accessPolicyBundlingHooks(json: string): ICommandHooks {
  const digest = createHash('sha256').update(json).digest('hex').slice(0, 16);
  const stagingDir = join(tmpdir(), 'box-token-broker');
  mkdirSync(stagingDir, { recursive: true });
  const staged = join(stagingDir, `access-policy-${digest}.json`);
  writeFileSync(staged, json);
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_inputDir: string, outputDir: string) => [
      `node -e "require('node:fs').copyFileSync(process.argv[1], process.argv[2])" "${staged}" "${join(outputDir, ACCESS_POLICY_BUNDLE_FILE)}"`,
    ],
  };
}
