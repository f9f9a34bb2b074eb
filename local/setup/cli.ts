/**
 * `box-token-broker check` and `box-token-broker tenant add|check|list|remove`: the setup check
 * from a terminal, and onboarding tenants only after their Box app passes it. Runs in-process
 * through {@link runSetupCli} (tests inject the Secrets Manager client, fetch, clock and prompt).
 * Nothing secret is printed: the client secret is never taken from argv and never echoed.
 */
import { parseSetupArguments, SETUP_USAGE } from './arguments.js';
import { checkCommand } from './check-command.js';
import { SETUP_EXIT, SetupCliFailure } from './exit-codes.js';
import { inviteTenant } from './invite-commands.js';
import { type SetupCliDeps, type SetupCliIo, SetupInvocation } from './invocation.js';
import { resumeTenant, suspendTenant } from './suspend-commands.js';
import { addTenant, checkTenant, listTenants, removeTenant } from './tenant-commands.js';

/** One command: the words that name it, whether a tenant ID follows them, and what it does. */
export interface SetupCommand {
  words: readonly string[];
  takesTenantId: boolean;
  run: (invocation: SetupInvocation, tenantId: string) => Promise<number>;
}

/** Every setup command. A new one is a row here and a line in {@link SETUP_USAGE}. */
export const SETUP_COMMANDS: readonly SetupCommand[] = [
  { words: ['check'], takesTenantId: false, run: (invocation) => checkCommand(invocation) },
  { words: ['tenant', 'add'], takesTenantId: true, run: addTenant },
  { words: ['tenant', 'check'], takesTenantId: true, run: checkTenant },
  { words: ['tenant', 'invite'], takesTenantId: true, run: inviteTenant },
  { words: ['tenant', 'list'], takesTenantId: false, run: (invocation) => listTenants(invocation) },
  { words: ['tenant', 'remove'], takesTenantId: true, run: removeTenant },
  { words: ['tenant', 'suspend'], takesTenantId: true, run: suspendTenant },
  { words: ['tenant', 'resume'], takesTenantId: true, run: resumeTenant },
];

/**
 * Runs `check …` or `tenant …` (args without the bin name); resolves to the exit code. With
 * `--json`, every outcome is one JSON document on stdout, failures included
 * (`{"error","message","exitCode",…}`); the message also goes to stderr.
 */
export async function runSetupCli(
  args: readonly string[],
  io: SetupCliIo,
  deps: SetupCliDeps,
): Promise<number> {
  const json = args.includes('--json');
  let parsed: ReturnType<typeof parseSetupArguments>;
  try {
    parsed = parseSetupArguments(args);
  } catch (error) {
    const message = error instanceof Error ? error.message : 'bad arguments';
    return fail(new SetupCliFailure(SETUP_EXIT.usage, message), io, json);
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    io.stdout(`${SETUP_USAGE}\n`);
    return SETUP_EXIT.ok;
  }
  const invocation = new SetupInvocation(values, io, deps);
  try {
    const { command, tenantId } = commandFor(positionals);
    return await command.run(invocation, tenantId);
  } catch (error) {
    if (!(error instanceof SetupCliFailure)) throw error;
    return fail(error, io, json);
  }
}

/** The command the positionals name, and its tenant ID; a usage failure when they name none. */
function commandFor(positionals: readonly string[]): { command: SetupCommand; tenantId: string } {
  for (const command of SETUP_COMMANDS) {
    const { words, takesTenantId } = command;
    if (!words.every((word, index) => positionals[index] === word)) continue;
    const operands = positionals.slice(words.length);
    if (takesTenantId && operands.length === 1) return { command, tenantId: operands[0] ?? '' };
    if (!takesTenantId && operands.length === 0) return { command, tenantId: '' };
    const wanted = takesTenantId ? 'one tenant ID' : 'no operands';
    throw new SetupCliFailure(
      SETUP_EXIT.usage,
      `"${words.join(' ')}" takes ${wanted} (got ${operands.length === 0 ? 'none' : operands.map((o) => `"${o}"`).join(' ')})`,
    );
  }
  const named = positionals.slice(0, 2).join(' ');
  throw new SetupCliFailure(
    SETUP_EXIT.usage,
    named === '' ? 'no command given' : `unknown command "${named}"`,
  );
}

/** Reports a failure (stderr, and the JSON document with `--json`); returns its exit code. */
function fail(failure: SetupCliFailure, io: SetupCliIo, json: boolean): number {
  io.stderr(`box-token-broker: ${failure.message}\n`);
  if (failure.exitCode === SETUP_EXIT.usage && !json) io.stderr(`\n${SETUP_USAGE}\n`);
  if (json) io.stdout(`${JSON.stringify(failure.toJson())}\n`);
  return failure.exitCode;
}
