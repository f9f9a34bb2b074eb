/**
 * The setup check: asks Box, in an order chosen so each answer decides one setup step, whether a
 * Box app is set up as the broker needs it, and says which step is wrong and how to fix it. Where
 * Box gives the same answer for several mistakes (`invalid_grant`), it says "one of" instead of
 * guessing, and uses `--as-user` to tell them apart when it can.
 *
 * Deployable: no CLI, no process.env; `fetch`, the clock and the deadline are injected, and the
 * result is one JSON-ready object, so a scheduled Lambda can run it per tenant.
 */
import { checkApp } from './app-checks.js';
import { BoxProbe } from './box-probe.js';
import type {
  SetupCheckDeps,
  SetupCheckInput,
  SetupCheckResult,
  SetupOutcome,
} from './setup-check-types.js';
import { StepBoard } from './step-board.js';

/** Runs the check. Never throws for anything Box answers; only a programming error escapes. */
export async function runSetupCheck(
  input: SetupCheckInput,
  deps: SetupCheckDeps,
): Promise<SetupCheckResult> {
  const apiUrl = (deps.apiUrl ?? 'https://api.box.com').replace(/\/+$/, '');
  const { credentials } = input;
  const probe = new BoxProbe({
    apiUrl,
    deadline: deps.deadline,
    fetch: deps.fetch ?? globalThis.fetch,
    secrets: [credentials.clientSecret],
  });
  const board = new StepBoard(input.requiredScopes ?? [], input.asUserId !== undefined);
  const serviceAccount = await checkApp(probe, board, input);
  const steps = board.results();
  const required = steps.filter((step) => step.required);
  const failedSteps = required.filter((step) => step.status === 'fail').map((step) => step.id);
  const outcome: SetupOutcome =
    failedSteps.length > 0
      ? 'fail'
      : required.every((step) => step.status === 'pass')
        ? 'pass'
        : 'inconclusive';
  return {
    outcome,
    checkedAt: new Date((deps.now ?? Date.now)()).toISOString(),
    boxApiUrl: apiUrl,
    clientId: credentials.clientId,
    enterpriseId: credentials.enterpriseId,
    asUserId: input.asUserId ?? null,
    serviceAccount,
    failedSteps,
    steps,
  };
}
