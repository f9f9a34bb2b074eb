/**
 * An AWS call of the operator CLI that failed, said so that the operator can act on it: what
 * failed, the AWS error's name and message, the region, and what to configure. The operator runs
 * the CLI on their own account, so AWS's message (which may name their ARNs) is shown in full;
 * nothing from a secret's value ever is.
 */
import { StateUnavailableError } from '../../lambda/state/state-call.js';
import { SETUP_EXIT, SetupCliFailure } from './exit-codes.js';

/** What the CLI was doing and which IAM permission that needs. */
export interface AwsAction {
  /** e.g. `reading the secret box-token-broker/tenants/acme`. */
  doing: string;
  /** e.g. `secretsmanager:GetSecretValue on that secret`. */
  permission: string;
  /** A fix for an error name this action expects (e.g. ResourceExistsException on create). */
  expected?: Readonly<Record<string, string>>;
  /** Exit code for ResourceNotFoundException; an AWS failure (5) otherwise. */
  notFoundExit?: number;
  /** The service called, named when it does not answer. @default 'Secrets Manager' */
  service?: string;
}

/** Error names meaning the AWS credentials were found but refused. */
const REFUSED_CREDENTIALS = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'InvalidClientTokenId',
  'ExpiredTokenException',
  'ExpiredToken',
  'SignatureDoesNotMatch',
]);

/** Node's codes for a network that did not reach the endpoint. */
const NETWORK_CODES = new Set([
  'ENOTFOUND',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EAI_AGAIN',
]);

/** The failure of `action`, with its exit code and message (`awsError`, `region`, `fix` in JSON). */
export function awsFailure(
  action: AwsAction,
  error: unknown,
  env: Readonly<Record<string, string | undefined>>,
): SetupCliFailure {
  const name = error instanceof Error ? error.name : 'UnknownError';
  const awsMessage = error instanceof Error ? oneLine(error.message) : String(error);
  const region = env.AWS_REGION?.trim() || undefined;
  const fix = fixFor(name, awsMessage, error, action, region);
  const where = region === undefined ? 'AWS_REGION not set' : `region ${region}`;
  const exitCode =
    name === 'ResourceNotFoundException' && action.notFoundExit !== undefined
      ? action.notFoundExit
      : SETUP_EXIT.aws;
  return new SetupCliFailure(
    exitCode,
    `${action.doing} failed (${where}): ${name}: ${awsMessage}\n  fix: ${fix}`,
    { awsError: name, awsMessage, region: region ?? null, fix },
  );
}

/**
 * The failure of `action` on the fleet state table (BOX_STATE_TABLE), with AWS's own error rather
 * than the state layer's summary of it.
 */
export function tableFailure(
  action: AwsAction,
  error: unknown,
  env: Readonly<Record<string, string | undefined>>,
): SetupCliFailure {
  const cause =
    error instanceof StateUnavailableError && error.cause !== undefined ? error.cause : error;
  return awsFailure(
    {
      service:
        'DynamoDB (the BOX_STATE_TABLE table; locally, npm run state:local at AWS_ENDPOINT_URL_DYNAMODB)',
      ...action,
      expected: {
        ResourceNotFoundException: `no table named by BOX_STATE_TABLE in ${env.AWS_REGION?.trim() || 'the default region'}: set it to the stack output StateTableName (locally, what npm run state:local prints) and check AWS_REGION`,
        ...action.expected,
      },
    },
    cause,
    env,
  );
}

function fixFor(
  name: string,
  message: string,
  error: unknown,
  action: AwsAction,
  region: string | undefined,
): string {
  const expected = action.expected?.[name];
  if (expected !== undefined) return expected;
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    return 'no AWS credentials were found: set AWS_PROFILE (after "aws configure" or "aws sso login"), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY';
  }
  if (/region is missing/i.test(message)) {
    return 'no AWS region: set AWS_REGION (e.g. AWS_REGION=eu-west-1), or a region in your AWS profile';
  }
  if (REFUSED_CREDENTIALS.has(name)) {
    return 'AWS refused your credentials (wrong or expired): refresh them (e.g. "aws sso login") and check AWS_PROFILE';
  }
  if (name === 'AccessDeniedException' || name === 'AccessDenied') {
    return `your AWS identity needs ${action.permission} (see docs/setup-check.md, "IAM for the operator")`;
  }
  if (name === 'ResourceNotFoundException') {
    return `no such secret in ${region ?? 'the default region'}: check the name, the tenant prefix and AWS_REGION`;
  }
  if (name === 'DecryptionFailure') {
    return "Secrets Manager could not decrypt the secret: your AWS identity needs kms:Decrypt on the secret's KMS key";
  }
  const code = error instanceof Error && 'code' in error ? String(error.code) : '';
  if (NETWORK_CODES.has(code) || name === 'TimeoutError') {
    return `${action.service ?? 'Secrets Manager'} did not answer: check AWS_REGION and your network (proxy, VPN)`;
  }
  return 'check AWS_REGION, your AWS credentials (AWS_PROFILE) and their IAM permissions';
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 400 ? `${flat.slice(0, 400)}…` : flat;
}
