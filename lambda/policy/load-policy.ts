/**
 * Loading the configured access policy at cold start: the built-in default, inline JSON or a
 * file, compiled once. What is wrong becomes a `misconfigured` error that names the variable and
 * the kind of error, never the policy's values.
 */
import { readFileSync } from 'node:fs';
import { MisconfiguredError } from '../errors.js';
import {
  type CompiledPolicy,
  compilePolicy,
  DEFAULT_POLICY_DOCUMENT,
  PolicyValidationError,
  parsePolicyJson,
} from './access-policy.js';

/**
 * Where the policy comes from (the configuration's `accessPolicy`; declared here in the same
 * shape because the policy room imports no configuration).
 */
export type PolicySource =
  | { kind: 'default' }
  | { kind: 'inline'; json: string }
  | { kind: 'file'; path: string };

/** Compiles the configured access policy once, at cold start. */
export function loadPolicy(source: PolicySource): CompiledPolicy {
  try {
    switch (source.kind) {
      case 'default':
        return compilePolicy(DEFAULT_POLICY_DOCUMENT);
      case 'inline':
        return parsePolicyJson(source.json);
      case 'file':
        return parsePolicyJson(readPolicyFile(source.path));
    }
  } catch (error) {
    if (error instanceof PolicyValidationError) {
      // Callers see where and what kind of error; the values (which can be other principals'
      // ARNs) stay in the cause, which reaches the operator's log line only.
      const variable = source.kind === 'file' ? 'BOX_ACCESS_POLICY_FILE' : 'BOX_ACCESS_POLICY';
      throw new MisconfiguredError(
        `The access policy in ${variable} is invalid: ${error.describeForCallers()}`,
        { cause: error },
      );
    }
    throw error;
  }
}

function readPolicyFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new MisconfiguredError(
      `Cannot read the access policy file named by BOX_ACCESS_POLICY_FILE (${(error as NodeJS.ErrnoException).code ?? 'error'}).`,
      { cause: error },
    );
  }
}
