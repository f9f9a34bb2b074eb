import { TENANT_SECRET_PREFIX_PATTERN } from '../lambda/config.js';

/**
 * Shapes of the AWS identifiers the app accepts, shared by the context reader and the construct
 * so both reject the same mistakes before anything reaches CloudFormation.
 */
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
} as const;
