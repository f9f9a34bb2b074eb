/**
 * The shape of the Box credentials secret, shared by the function that reads it, the scheduled
 * setup check that reads every tenant's, and the stack that creates it. No imports and no side
 * effects: the CDK app imports it at synth time.
 */

/** The secret's value: a JSON object string with these three keys. */
export interface BoxSecretValue {
  /** The Box app's client ID (Developer Console > Configuration). */
  clientId: string;
  /** The Box app's client secret. */
  clientSecret: string;
  /** The Box enterprise ID; digits only. */
  enterpriseId: string;
}

/**
 * The tag a tenant's secret carries, its value the tenant ID: `tenant add` (and the onboarding
 * page) write it, and the function's role may read a secret under the tenants' prefix only when
 * it is there (docs/tenants.md, "Security").
 */
export const TENANT_SECRET_TAG = 'box-token-broker:tenant';

/**
 * The secret of tenant `tenantId` (contract v1.1): `<prefix><tenantId>`, e.g. tenant `acme` under
 * `box-token-broker/tenants/` is `box-token-broker/tenants/acme`.
 */
export function tenantSecretName(prefix: string, tenantId: string): string {
  return `${prefix}${tenantId}`;
}

/** Every key the secret must hold, in the order the docs list them. */
export const SECRET_KEYS = [
  'clientId',
  'clientSecret',
  'enterpriseId',
] as const satisfies readonly (keyof BoxSecretValue)[];

/**
 * Prefix of the placeholder values the stack writes into a secret it creates. A value that still
 * starts with it means the admin has not filled the secret in yet.
 */
export const SECRET_PLACEHOLDER_PREFIX = 'REPLACE_WITH_';

/**
 * The JSON object a newly created secret starts with, minus `clientSecret`: CloudFormation
 * generates that one at random (so no real-looking value is ever committed), and only when the
 * secret is created, so later deployments never overwrite what the admin entered.
 */
export function secretTemplate(): Omit<BoxSecretValue, 'clientSecret'> {
  return {
    clientId: `${SECRET_PLACEHOLDER_PREFIX}BOX_CLIENT_ID`,
    enterpriseId: `${SECRET_PLACEHOLDER_PREFIX}BOX_ENTERPRISE_ID`,
  };
}

/** Why a secret value is unusable; names a key at most, never a value. */
export type SecretValueProblem =
  | { kind: 'not_string' }
  | { kind: 'not_json' }
  | { kind: 'not_object' }
  | { kind: 'missing_key'; key: (typeof SECRET_KEYS)[number] }
  | { kind: 'placeholder'; key: (typeof SECRET_KEYS)[number] }
  | { kind: 'enterprise_id_not_digits' };

export type SecretValueReading =
  | { ok: true; credentials: BoxSecretValue }
  | { ok: false; problem: SecretValueProblem };

/**
 * Reads a secret's string value. An unusable value is a result, not an exception, so each reader
 * decides what it means (the function: `misconfigured`; the scheduled check: a failing tenant).
 */
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
