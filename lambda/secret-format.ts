/**
 * The shape of the Box credentials secret, shared by the function that reads it and the stack
 * that creates it. No imports and no side effects: the CDK app imports it at synth time.
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
