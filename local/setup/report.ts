/**
 * The setup check's result as a terminal checklist: ✔ pass, ✖ fail, – not checked, each with the
 * evidence (Box's own code and message) and, for a failure, the fix.
 */
import type {
  SetupCheckResult,
  SetupStepResult,
  StepEvidence,
} from '../../lambda/setup/setup-check-types.js';

const MARKS: Readonly<Record<SetupStepResult['status'], string>> = {
  pass: '✔',
  fail: '✖',
  skipped: '–',
};

/** The checklist lines, ending with the verdict. */
export function formatSetupReport(result: SetupCheckResult): string[] {
  const lines = [
    `Box setup check: client ID ${result.clientId}, enterprise ${result.enterpriseId}, Box ${result.boxApiUrl}`,
    '',
  ];
  for (const step of result.steps) {
    const optional = step.required ? '' : ' (optional)';
    lines.push(`${MARKS[step.status]} ${step.guideStep}. ${step.title}${optional}`);
    lines.push(`    ${step.note}`);
    for (const evidence of step.evidence) lines.push(`    evidence: ${formatEvidence(evidence)}`);
    if (step.status !== 'skipped') lines.push(`    decided by ${step.basis} Box behaviour`);
    if (step.fix !== null) lines.push(`    fix: ${step.fix.split('\n').join('\n      ')}`);
  }
  lines.push('');
  lines.push(verdict(result));
  return lines;
}

/** One line: the call and Box's answer. */
export function formatEvidence(evidence: StepEvidence): string {
  if (evidence.status === undefined) return `${evidence.request} -> no answer`;
  const said = [evidence.code, evidence.message === undefined ? undefined : `"${evidence.message}"`]
    .filter((part) => part !== undefined && part !== '')
    .join(' ');
  return `${evidence.request} -> HTTP ${evidence.status}${said === '' ? '' : ` ${said}`}`;
}

function verdict(result: SetupCheckResult): string {
  switch (result.outcome) {
    case 'pass':
      return 'PASS: every required step passed.';
    case 'fail':
      return `FAIL: ${result.failedSteps.length} required step(s) failed: ${result.failedSteps.join(', ')}.`;
    case 'inconclusive':
      return 'INCONCLUSIVE: nothing failed, but Box did not answer every required step; run the check again.';
  }
}
