/**
 * What the app accepts from its operator, and how it refuses the rest: the error it throws for a
 * configuration it will not synthesize, and the shapes of the AWS identifiers it takes, shared by
 * the context reader and the construct so both reject the same mistakes before anything reaches
 * CloudFormation.
 */
import { Token } from 'aws-cdk-lib';
import { TENANT_SECRET_PREFIX_PATTERN } from '../lambda/config.js';

/**
 * A deployment configuration the app refuses to synthesize (a context value, a construct prop or
 * the access policy). The message says what to fix; the app prints it without a stack trace.
 */
export class ConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

/** Shapes of the AWS identifiers the app accepts. */
export const AWS_IDENTIFIERS = {
  stackName: /^[A-Za-z][A-Za-z0-9-]{0,127}$/,
  // A complete secret ARN ends in the 6-character suffix Secrets Manager appends to the name.
  secretCompleteArn:
    /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/,
  secretName: /^[A-Za-z0-9/_+=.@-]{1,512}$/,
  // The function's own check (lambda/config.ts): name characters, ending with `/`.
  tenantSecretPrefix: TENANT_SECRET_PREFIX_PATTERN,
  // kms:Decrypt is evaluated against the key ARN; an alias ARN would grant nothing.
  kmsKeyArn: /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/,
  accountId: /^\d{12}$/,
  principalArn: /^arn:aws[a-z-]*:iam::\d{12}:(?:role|user)\/[A-Za-z0-9/_+=,.@*?-]+$/,
  organizationId: /^o-[a-z0-9]{10,32}$/,
  topicArn: /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/,
  eventBusArn: /^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus\/[A-Za-z0-9._\-/]{1,256}$/,
} as const;

/** Rejects a prop value of the wrong shape; tokens (deploy-time values) are let through. */
export function expectShape(prop: string, value: string | undefined, shape: RegExp): void {
  if (value !== undefined && !Token.isUnresolved(value) && !shape.test(value)) {
    throw new ConfigError(`BoxTokenBroker prop ${prop}: "${value}" does not match ${shape}.`);
  }
}
