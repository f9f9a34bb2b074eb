/**
 * Where the setup commands take a Box app's credentials from: a Secrets Manager secret, or the
 * BOX_CLIENT_ID / BOX_CLIENT_SECRET / BOX_ENTERPRISE_ID variables, else an interactive prompt
 * (the client secret without echo). The client secret is never taken from argv.
 */
import { MisconfiguredError } from '../../lambda/errors.js';
import type { SetupCredentials } from '../../lambda/setup/setup-check-types.js';
import { awsFailure } from './aws-failure.js';
import { SETUP_EXIT, SetupCliFailure } from './exit-codes.js';
import type { SetupCliIo, SetupInvocation } from './invocation.js';

/**
 * The credentials in the secret `secretId`. A missing or malformed secret exits 4 (credentials
 * unavailable), naming the secret and the key at fault, never a value; any other AWS failure
 * exits 5 with the AWS error and what to configure.
 */
export async function credentialsFromSecret(
  invocation: SetupInvocation,
  secretId: string,
): Promise<SetupCredentials> {
  try {
    return await invocation.registry().readCredentials(secretId);
  } catch (error) {
    if (error instanceof MisconfiguredError) {
      throw new SetupCliFailure(
        SETUP_EXIT.credentials,
        `the secret ${secretId} is not usable: ${error.message}`,
      );
    }
    throw awsFailure(
      {
        doing: `reading the secret ${secretId}`,
        permission: `secretsmanager:GetSecretValue on ${secretId} (and kms:Decrypt on its key, if it has its own)`,
        notFoundExit: SETUP_EXIT.credentials,
      },
      error,
      invocation.io.env,
    );
  }
}

/** The variables a Box app's credentials come from, in prompt order. */
const CREDENTIAL_VARIABLES = ['BOX_CLIENT_ID', 'BOX_CLIENT_SECRET', 'BOX_ENTERPRISE_ID'] as const;

/** The credentials from the environment, each missing one asked for at the prompt. */
export async function credentialsFromEnvOrPrompt(io: SetupCliIo): Promise<SetupCredentials> {
  const { env, prompt } = io;
  const given = (variable: string) => (env[variable] ?? '').trim();
  const missing = CREDENTIAL_VARIABLES.filter((variable) => given(variable) === '');
  if (missing.length > 0 && prompt === undefined) {
    const some = missing.length < CREDENTIAL_VARIABLES.length;
    throw new SetupCliFailure(
      SETUP_EXIT.credentials,
      some
        ? `incomplete Box credentials: ${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} not set (BOX_CLIENT_ID, BOX_CLIENT_SECRET and BOX_ENTERPRISE_ID go together), and there is no terminal to prompt on`
        : 'no Box credentials: set BOX_CLIENT_ID, BOX_CLIENT_SECRET and BOX_ENTERPRISE_ID, give --secret NAME or --tenant ID (read from Secrets Manager), or run on a terminal to be prompted',
      { missing },
    );
  }
  const ask = async (variable: string, question: string, secret: boolean): Promise<string> => {
    const fromEnv = given(variable);
    if (fromEnv !== '' || prompt === undefined) return fromEnv;
    return prompt(question, { secret });
  };
  const clientId = await ask('BOX_CLIENT_ID', 'Box client ID: ', false);
  const clientSecret = await ask('BOX_CLIENT_SECRET', 'Box client secret (not shown): ', true);
  const enterpriseId = await ask('BOX_ENTERPRISE_ID', 'Box enterprise ID: ', false);
  if (clientId === '' || clientSecret === '') {
    throw new SetupCliFailure(SETUP_EXIT.credentials, 'the client ID and secret must not be empty');
  }
  if (!/^\d+$/.test(enterpriseId)) {
    throw new SetupCliFailure(
      SETUP_EXIT.credentials,
      'the enterprise ID must be digits only (Admin Console > Account & Billing)',
    );
  }
  return { clientId, clientSecret, enterpriseId };
}
