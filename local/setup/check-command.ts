import { startDeadline } from '../../lambda/deadline.js';
import { runSetupCheck } from '../../lambda/setup/setup-check.js';
import type { SetupCheckResult, SetupCredentials } from '../../lambda/setup/setup-check-types.js';
import { checkRunOptions } from './arguments.js';
import { credentialsFromEnvOrPrompt, credentialsFromSecret } from './credentials.js';
import { SETUP_EXIT, SetupCliFailure } from './exit-codes.js';
import type { SetupInvocation } from './invocation.js';

/**
 * `box-token-broker check`: the setup check for credentials from `--secret`, `--tenant`, the
 * environment or the prompt; resolves to the exit code.
 */
export async function checkCommand(invocation: SetupInvocation): Promise<number> {
  const { secret, tenant } = invocation.options;
  if (secret !== undefined && tenant !== undefined) {
    throw new SetupCliFailure(SETUP_EXIT.usage, 'give --secret or --tenant, not both');
  }
  // Usage and BOX_API_URL first: nothing is read or asked for a command that cannot run.
  checkRunOptions(invocation.options);
  invocation.boxApiUrl();
  let credentials: SetupCredentials;
  if (secret !== undefined) credentials = await credentialsFromSecret(invocation, secret);
  else if (tenant !== undefined) {
    const secretName = invocation.registryFor(tenant).secretName(tenant);
    credentials = await credentialsFromSecret(invocation, secretName);
  } else credentials = await credentialsFromEnvOrPrompt(invocation.io);
  return invocation.report(await runCheck(invocation, credentials));
}

/** Runs the setup check for `credentials` with the invocation's `--require`, `--as-user`, `--timeout`. */
export async function runCheck(
  invocation: SetupInvocation,
  credentials: SetupCredentials,
): Promise<SetupCheckResult> {
  const { requiredScopes, asUserId, timeoutSeconds } = checkRunOptions(invocation.options);
  const { deps } = invocation;
  const now = deps.now ?? Date.now;
  const deadline = startDeadline({ budgetMs: timeoutSeconds * 1000, answerMarginMs: 0, now });
  return runSetupCheck(
    { credentials, asUserId, requiredScopes },
    {
      apiUrl: invocation.boxApiUrl(),
      deadline,
      now,
      ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }),
    },
  );
}
