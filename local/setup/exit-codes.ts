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
  /** An AWS call failed (no AWS credentials or region, access denied, tenant exists, …). */
  aws: 5,
} as const;

/** The `error` of a failure's `--json` document, by exit code. */
const ERROR_CODES: Readonly<Record<number, string>> = {
  [SETUP_EXIT.failed]: 'check_failed',
  [SETUP_EXIT.usage]: 'usage',
  [SETUP_EXIT.inconclusive]: 'inconclusive',
  [SETUP_EXIT.credentials]: 'credentials_unavailable',
  [SETUP_EXIT.aws]: 'aws_call_failed',
};

/** Ends a setup command with an exit code and a message for stderr (safe to print). */
export class SetupCliFailure extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
    /** Extra fields of the `--json` document (e.g. `awsError`, `fix`). */
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'SetupCliFailure';
  }

  /** The stable code of this failure in `--json` output (`usage`, `aws_call_failed`, …). */
  get code(): string {
    return ERROR_CODES[this.exitCode] ?? 'failed';
  }

  /** The failure as the one JSON document `--json` prints on stdout. */
  toJson(): Record<string, unknown> {
    return { error: this.code, message: this.message, exitCode: this.exitCode, ...this.details };
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
