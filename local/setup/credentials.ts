/**
 * Where the setup commands take a Box app's credentials from: a Secrets Manager secret, or the
 * BOX_CLIENT_ID / BOX_CLIENT_SECRET / BOX_ENTERPRISE_ID variables, else an interactive prompt
 * (the client secret without echo). The client secret is never taken from argv.
 */
import type { SetupCredentials } from '../../lambda/setup/setup-check-types.js';
import { awsErrorName, SETUP_EXIT, SetupCliFailure } from './exit-codes.js';
import type { SetupCliIo, SetupInvocation } from './invocation.js';

/** The credentials in the secret `secretId`; a credentials failure names the secret, never its value. */
export async function credentialsFromSecret(
  invocation: SetupInvocation,
  secretId: string,
): Promise<SetupCredentials> {
  try {
    return await invocation.registry().readCredentials(secretId);
  } catch (error) {
    // Secret-format problems carry safe messages; AWS errors are reduced to their name.
    const name = awsErrorName(error);
    const detail = name === 'MisconfiguredError' && error instanceof Error ? error.message : name;
    throw new SetupCliFailure(
      SETUP_EXIT.credentials,
      `cannot read the secret ${secretId}: ${detail}`,
    );
  }
}

/** The credentials from the environment, each missing one asked for at the prompt. */
export async function credentialsFromEnvOrPrompt(io: SetupCliIo): Promise<SetupCredentials> {
  const { env, prompt } = io;
  const ask = async (variable: string, question: string, secret: boolean): Promise<string> => {
    const fromEnv = env[variable];
    if (fromEnv !== undefined && fromEnv.trim() !== '') return fromEnv.trim();
    if (prompt === undefined) {
      throw new SetupCliFailure(
        SETUP_EXIT.credentials,
        `no credentials: set ${variable} (or BOX_CLIENT_ID, BOX_CLIENT_SECRET, BOX_ENTERPRISE_ID), give --secret/--tenant, or run on a terminal to be prompted`,
      );
    }
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
