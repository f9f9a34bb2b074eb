/**
 * Checks a policy document against {@link AccessPolicySchema} and turns the schema's issues into
 * {@link PolicyError}s with JSON paths.
 *
 * Two things are checked here by hand because the schema library does them less strictly than a
 * policy needs: an array is not an object, and every unknown key is reported (the library stops
 * at the first, and a document must not be able to hide a misspelt key behind a `__proto__`).
 * The key lists still come from the schema.
 */
import * as v from 'valibot';
import {
  type AccessPolicyDocument,
  AccessPolicySchema,
  POLICY_KEYS,
  RULE_KEYS,
} from './document.js';
import { childPath, type PolicyError, quoteValue } from './policy-errors.js';

/** A plain JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The document's structural errors; `document` is the typed document exactly when there are none.
 * Never throws, whatever the input.
 */
export function checkStructure(input: unknown): {
  errors: PolicyError[];
  document: AccessPolicyDocument | undefined;
} {
  if (!isJsonObject(input)) {
    return {
      errors: [{ path: '$', message: 'the policy must be a JSON object' }],
      document: undefined,
    };
  }
  const errors: PolicyError[] = [];
  const notObjects = new Set<string>();
  unknownKeys(input, '$', POLICY_KEYS, errors);
  const rules = Object.hasOwn(input, 'rules') ? input.rules : undefined;
  if (Array.isArray(rules)) {
    rules.forEach((rule: unknown, index) => {
      const path = `$.rules[${index}]`;
      if (isJsonObject(rule)) unknownKeys(rule, path, RULE_KEYS, errors);
      else {
        errors.push({ path, message: 'a rule must be a JSON object' });
        notObjects.add(path);
      }
    });
  }
  const result = v.safeParse(AccessPolicySchema, input, { abortEarly: false });
  for (const issue of result.issues ?? []) {
    const error = toPolicyError(issue);
    if (error === undefined) continue;
    if ([...notObjects].some((path) => error.path === path || error.path.startsWith(`${path}.`))) {
      continue;
    }
    errors.push(error);
  }
  return { errors, document: result.success && errors.length === 0 ? result.output : undefined };
}

function unknownKeys(
  object: Record<string, unknown>,
  path: string,
  allowed: readonly string[],
  errors: PolicyError[],
): void {
  for (const key of Object.keys(object)) {
    if (!allowed.includes(key)) {
      errors.push({
        path: childPath(path, key),
        message: `unknown key (allowed: ${allowed.join(', ')})`,
      });
    }
  }
}

type Issue = v.InferIssue<typeof AccessPolicySchema>;

function toPolicyError(issue: Issue): PolicyError | undefined {
  let path = '$';
  for (const item of issue.path ?? []) {
    const key = item.key;
    path = childPath(path, typeof key === 'number' ? key : String(key));
  }
  if (issue.type === 'strict_object') {
    // Unknown keys were reported above, all of them; what is left is a missing key.
    if (issue.expected === 'never') return undefined;
    if (issue.received === 'undefined') return { path, message: 'is required' };
  }
  const value =
    isJsonObject(issue.input) || Array.isArray(issue.input) ? undefined : quoteValue(issue.input);
  return value === undefined
    ? { path, message: issue.message }
    : { path, message: issue.message, value };
}
