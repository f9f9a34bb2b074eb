/**
 * `box-token-broker check` and `box-token-broker tenant add|check|list|remove`: the setup check
 * from a terminal, and onboarding tenants only after their Box app passes it. Runs in-process
 * through {@link runSetupCli} (tests inject the Secrets Manager client, fetch, clock and prompt).
 * Nothing secret is printed: the client secret is never taken from argv and never echoed.
 */
import { parseSetupArguments, SETUP_USAGE } from './arguments.js';
import { checkCommand } from './check-command.js';
import { SETUP_EXIT, SetupCliFailure } from './exit-codes.js';
import { type SetupCliDeps, type SetupCliIo, SetupInvocation } from './invocation.js';
import { addTenant, checkTenant, listTenants, removeTenant } from './tenant-commands.js';

/** Runs `check …` or `tenant …` (args without the bin name); resolves to the exit code. */
export async function runSetupCli(
  args: readonly string[],
  io: SetupCliIo,
  deps: SetupCliDeps,
): Promise<number> {
  let parsed: ReturnType<typeof parseSetupArguments>;
  try {
    parsed = parseSetupArguments(args);
  } catch (error) {
    io.stderr(
      `box-token-broker: ${error instanceof Error ? error.message : 'bad arguments'}\n\n${SETUP_USAGE}\n`,
    );
    return SETUP_EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    io.stdout(`${SETUP_USAGE}\n`);
    return SETUP_EXIT.ok;
  }
  const invocation = new SetupInvocation(values, io, deps);
  try {
    const [verb, action, id, ...rest] = positionals;
    if (verb === 'check' && action === undefined) return await checkCommand(invocation);
    if (verb === 'tenant' && action === 'list' && id === undefined) {
      return await listTenants(invocation);
    }
    if (verb === 'tenant' && id !== undefined && rest.length === 0) {
      if (action === 'add') return await addTenant(invocation, id);
      if (action === 'check') return await checkTenant(invocation, id);
      if (action === 'remove') return await removeTenant(invocation, id);
    }
    throw new SetupCliFailure(SETUP_EXIT.usage, 'unknown command');
  } catch (error) {
    if (!(error instanceof SetupCliFailure)) throw error;
    io.stderr(`box-token-broker: ${error.message}\n`);
    if (error.exitCode === SETUP_EXIT.usage) io.stderr(`\n${SETUP_USAGE}\n`);
    return error.exitCode;
  }
}
