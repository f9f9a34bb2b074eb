/**
 * A tenant's secret value as the scheduled check reads it: the same JSON as the default secret
 * (`{"clientId","clientSecret","enterpriseId"}`). A value that cannot be used is a finding about
 * the tenant, not an exception: the scheduled run reports it and goes on with the next tenant.
 */
import { SECRET_KEYS, SECRET_PLACEHOLDER_PREFIX } from '../secret-format.js';
import type { SetupCredentials } from './setup-check-types.js';

/** Why a secret value is unusable; names a key at most, never a value. */
export type SecretValueProblem =
  | { kind: 'not_string' }
  | { kind: 'not_json' }
  | { kind: 'not_object' }
  | { kind: 'missing_key'; key: (typeof SECRET_KEYS)[number] }
  | { kind: 'placeholder'; key: (typeof SECRET_KEYS)[number] }
  | { kind: 'enterprise_id_not_digits' };

export type SecretValueReading =
  | { ok: true; credentials: SetupCredentials }
  | { ok: false; problem: SecretValueProblem };

/** Reads a secret's string value into the setup check's credentials. */
export function readSecretValue(secretString: string | undefined): SecretValueReading {
  if (secretString === undefined) return { ok: false, problem: { kind: 'not_string' } };
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    return { ok: false, problem: { kind: 'not_json' } };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, problem: { kind: 'not_object' } };
  }
  const record = parsed as Record<string, unknown>;
  const values = new Map<string, string>();
  for (const key of SECRET_KEYS) {
    // Own keys only: a `__proto__` or inherited key in the JSON proves nothing.
    const value = Object.hasOwn(record, key) ? record[key] : undefined;
    if (typeof value !== 'string' || value.trim() === '') {
      return { ok: false, problem: { kind: 'missing_key', key } };
    }
    if (value.startsWith(SECRET_PLACEHOLDER_PREFIX)) {
      return { ok: false, problem: { kind: 'placeholder', key } };
    }
    values.set(key, value.trim());
  }
  const enterpriseId = values.get('enterpriseId') ?? '';
  if (!/^\d+$/.test(enterpriseId)) {
    return { ok: false, problem: { kind: 'enterprise_id_not_digits' } };
  }
  return {
    ok: true,
    credentials: {
      clientId: values.get('clientId') ?? '',
      clientSecret: values.get('clientSecret') ?? '',
      enterpriseId,
    },
  };
}

/** The problem in words for the log line (keys only). */
export function describeSecretProblem(problem: SecretValueProblem): string {
  switch (problem.kind) {
    case 'not_string':
      return 'the secret has no string value (binary secrets are not supported)';
    case 'not_json':
      return 'the secret value is not valid JSON';
    case 'not_object':
      return 'the secret value is not a JSON object';
    case 'missing_key':
      return `the secret lacks the key "${problem.key}" (a non-empty string)`;
    case 'placeholder':
      return `the secret still holds the placeholder for "${problem.key}"`;
    case 'enterprise_id_not_digits':
      return 'the secret\'s "enterpriseId" is not digits only';
  }
}
