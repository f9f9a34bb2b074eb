/**
 * The checklist as the setup check fills it in: every step starts "not reached" and gets a verdict
 * with Box's answers as evidence, shown without secrets and in words a platform engineer reads.
 */
import type { ProbeAnswer, ProbeResult } from './box-probe.js';
import type { SetupStepResult, StepEvidence, StepStatus } from './setup-check-types.js';
import {
  type FixedStepId,
  SCOPE_STEPS_AFTER,
  type SetupStepId,
  STEP_ORDER,
  STEPS,
  type StepDefinition,
  scopeStep,
} from './steps.js';

/** The steps' verdicts as they are decided; every step starts "not reached". */
export class StepBoard {
  readonly #steps = new Map<SetupStepId, SetupStepResult>();

  constructor(
    readonly scopes: readonly string[],
    withUser: boolean,
  ) {
    const add = (id: SetupStepId, definition: StepDefinition, required: boolean) => {
      this.#steps.set(id, {
        id,
        title: definition.title,
        guideStep: definition.guideStep,
        required,
        status: 'skipped',
        basis: definition.basis,
        evidence: [],
        note: 'not reached',
        fix: null,
      });
    };
    for (const id of STEP_ORDER) {
      const userStep = id === 'as_user' || id === 'user_tokens';
      add(id, STEPS[id], !userStep || withUser);
      if (userStep && !withUser)
        this.skip(id, 'not checked: give --as-user ID (a managed user) to check it');
      if (id === SCOPE_STEPS_AFTER) {
        for (const scope of scopes) add(`scope:${scope}`, scopeStep(scope), true);
      }
    }
  }

  pass(id: SetupStepId, note: string, ...evidence: ProbeResult[]): void {
    this.#set(id, 'pass', note, evidence, null);
  }

  fail(id: SetupStepId, note: string, fix: string, ...evidence: ProbeResult[]): void {
    this.#set(id, 'fail', note, evidence, fix);
  }

  skip(id: SetupStepId, note: string, ...evidence: ProbeResult[]): void {
    this.#set(id, 'skipped', note, evidence, null);
  }

  /** Marks steps skipped because Box did not give a usable answer (retry later). */
  transient(ids: readonly SetupStepId[], result: ProbeResult): void {
    for (const id of ids)
      this.skip(id, `not decided: ${describeTransient(result)}; run the check again`, result);
  }

  /**
   * Marks a step's verdict as drawn from other answers rather than from an answer Box documents
   * or people observed for it (e.g. the enterprise ID is wrong because a user grant worked).
   */
  inferred(id: SetupStepId): void {
    const step = this.#steps.get(id);
    if (step !== undefined) step.basis = 'inferred';
  }

  fixFor(id: FixedStepId): string {
    return STEPS[id].fix;
  }

  results(): SetupStepResult[] {
    return [...this.#steps.values()];
  }

  #set(
    id: SetupStepId,
    status: StepStatus,
    note: string,
    evidence: ProbeResult[],
    fix: string | null,
  ): void {
    const step = this.#steps.get(id);
    if (step === undefined) return;
    step.status = status;
    step.note = note;
    step.fix = fix;
    step.evidence = evidence.map(toEvidence);
  }
}

/** Box's answer as evidence: request, status, code and message (the probe masked secrets). */
export function toEvidence(result: ProbeResult): StepEvidence {
  if (result.kind === 'unreachable') return { request: result.request };
  const evidence: StepEvidence = { request: result.request, status: result.status };
  if (result.code !== undefined) evidence.code = result.code;
  if (result.message !== undefined) evidence.message = result.message;
  return evidence;
}

/** Why a transient result decided nothing, for a skipped step's note. */
export function describeTransient(result: ProbeResult): string {
  if (result.kind === 'unreachable') {
    return result.reason === 'timeout' ? 'Box did not answer in time' : 'Box could not be reached';
  }
  return `Box answered HTTP ${result.status} (temporary)`;
}

/** What Box said, for a note: its code (or HTTP status) and its message in quotes. */
export function said(result: ProbeAnswer): string {
  const code = result.code ?? `HTTP ${result.status}`;
  return result.message === undefined || result.message === ''
    ? code
    : `${code} "${result.message}"`;
}
