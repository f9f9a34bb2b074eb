import type { SetupCheckResult } from '../../lambda/setup/setup-check-types.js';

/** Exit codes of the setup commands. */
export const SETUP_EXIT = {
  /** Every required step passed (or the tenant command succeeded). */
  ok: 0,
  /** A required step failed; for `tenant add`, nothing was stored. */
  failed: 1,
  usage: 2,
  /** Nothing failed, but Box did not answer every required step: run it again. */
  inconclusive: 3,
  /** The credentials could not be obtained (secret missing or malformed, no prompt). */
  credentials: 4,
  /** An AWS call failed (tenant exists, access denied, …). */
  aws: 5,
} as const;

/** Ends a setup command with an exit code and a message for stderr (safe to print). */
export class SetupCliFailure extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** The exit code a setup check's outcome ends the command with. */
export function exitCodeFor(result: SetupCheckResult): number {
  switch (result.outcome) {
    case 'pass':
      return SETUP_EXIT.ok;
    case 'fail':
      return SETUP_EXIT.failed;
    case 'inconclusive':
      return SETUP_EXIT.inconclusive;
  }
}

/** An error's name only (AWS messages may quote ARNs). */
export function awsErrorName(error: unknown): string {
  return error instanceof Error ? error.name : 'UnknownError';
}
