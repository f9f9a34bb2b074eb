/**
 * Problems found in an access policy document, each at its JSON path.
 *
 * A problem has two audiences. Its `path` and `message` (the kind of error) may be told to anyone,
 * callers included; its `value`, the offending entry, can be another principal's ARN and goes to
 * the operator only (the log, `cdk synth`, `validate-policy`).
 */

/** One problem in a policy document. */
export interface PolicyError {
  /** A JSON path such as `$.rules[2].callers[0]`. */
  path: string;
  /** The kind of error, never quoting the document: safe to show callers. */
  message: string;
  /** The offending value, cut short: for the operator only. */
  value?: string;
}

/**
 * Thrown by the policy compiler with every problem found, not just the first. Its `message` is
 * for the operator and quotes the offending values; {@link describeForCallers} does not.
 */
export class PolicyValidationError extends Error {
  readonly errors: PolicyError[];

  constructor(errors: PolicyError[]) {
    const lines = errors.map((error) => `  ${formatPolicyError(error)}`);
    super(`The access policy is invalid:\n${lines.join('\n')}`);
    this.name = 'PolicyValidationError';
    this.errors = errors;
  }

  /** The first `limit` problems as `path: kind`, with no value from the document. */
  describeForCallers(limit = 3): string {
    return this.errors
      .slice(0, limit)
      .map((error) => `${error.path}: ${error.message}`)
      .join('; ');
  }
}

/** `path: message (got VALUE)`, the operator's view of one problem. */
export function formatPolicyError(error: PolicyError): string {
  const got = error.value === undefined ? '' : ` (got ${error.value})`;
  return `${error.path}: ${error.message}${got}`;
}

/** A JSON path one step below `path`: `.key` for plain keys, `["odd key"]` otherwise. */
export function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)
    ? `${path}.${key}`
    : `${path}[${JSON.stringify(key)}]`;
}

/** A document value as the operator sees it, cut short so one bad entry cannot flood a log. */
export function quoteValue(value: unknown): string | undefined {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  if (text === undefined) return undefined;
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}
