/**
 * The setup check's input, injected dependencies and JSON-ready result: the shapes a scheduled
 * Lambda, the CLI and the tenant registry share.
 */
import type { Deadline } from '../deadline.js';
import type { EvidenceBasis, SetupStepId } from './steps.js';

/** The Box app's credentials: the secret's JSON. */
export interface SetupCredentials {
  clientId: string;
  clientSecret: string;
  enterpriseId: string;
}

export interface SetupCheckInput {
  credentials: SetupCredentials;
  /** A managed user's ID: adds the As-User and user-token checks. */
  asUserId?: string | undefined;
  /** Box scopes the integration needs (see `parseRequiredScopes`). */
  requiredScopes?: readonly string[] | undefined;
}

export interface SetupCheckDeps {
  /** Box origin. @default https://api.box.com */
  apiUrl?: string;
  /** The whole check's deadline (a canary passes what its invocation has left). */
  deadline: Deadline;
  fetch?: typeof fetch;
  /** Millisecond clock for `checkedAt`. @default Date.now */
  now?: () => number;
}

/** Box's answer that decided a step (never a secret or token). */
export interface StepEvidence {
  request: string;
  /** HTTP status; absent when Box could not be reached. */
  status?: number;
  code?: string;
  message?: string;
}

export type StepStatus = 'pass' | 'fail' | 'skipped';

/** One checklist row's result. */
export interface SetupStepResult {
  id: SetupStepId;
  title: string;
  guideStep: number;
  /** Whether this step must pass for the check to pass. */
  required: boolean;
  status: StepStatus;
  basis: EvidenceBasis;
  /** Box's answers that decided it (empty when skipped before any call). */
  evidence: StepEvidence[];
  /** pass: what was proven; skipped: why it was not checked; fail: what Box's answer means. */
  note: string;
  /** For a failed step: what to change, where. */
  fix: string | null;
}

/** The check's outcome: `inconclusive` = nothing failed, but a required step could not be decided. */
export type SetupOutcome = 'pass' | 'fail' | 'inconclusive';

/** The whole result; `JSON.stringify` it for machines. */
export interface SetupCheckResult {
  outcome: SetupOutcome;
  checkedAt: string;
  boxApiUrl: string;
  clientId: string;
  enterpriseId: string;
  asUserId: string | null;
  serviceAccount: { id: string; name: string; login: string } | null;
  /** The required steps that failed, in checklist order (what a canary logs). */
  failedSteps: SetupStepId[];
  steps: SetupStepResult[];
}
