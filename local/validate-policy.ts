/**
 * Checks an access policy file the way the broker will read it.
 *
 *   tsx local/validate-policy.ts FILE
 *
 * Exit 0 with a summary (rules, ids, principals and tenants named, warnings) when the policy
 * compiles; exit 1 with one `path: message (got VALUE)` line per problem when it does not; exit 2
 * on wrong usage. The operator runs this on their own file, so unlike the broker's answers to
 * callers it quotes the offending values. The work is
 * done by {@link validatePolicyFile} so a `box-token-broker validate-policy FILE` bin can reuse it.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import {
  type CompiledPolicy,
  type PolicyError,
  PolicyValidationError,
  parsePolicyJson,
  principalsNamed,
} from '../lambda/policy/access-policy.js';
import { formatPolicyError } from '../lambda/policy/policy-errors.js';

/** What a valid policy amounts to. */
export interface PolicySummary {
  rules: number;
  ruleIds: string[];
  principals: ReturnType<typeof principalsNamed>;
  /** Every `tenants` entry as written, plus `default` when some rule names none; sorted. */
  tenants: string[];
}

/** The outcome of checking one policy file. `summary` is present exactly when `ok`. */
export interface PolicyFileReport {
  ok: boolean;
  errors: PolicyError[];
  /** Legal but probably not what the author meant; they do not make the file invalid. */
  warnings: PolicyError[];
  summary: PolicySummary | undefined;
}

/** Reads and checks a policy file. Never throws: an unreadable file is an error at path `$`. */
export function validatePolicyFile(path: string): PolicyFileReport {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code =
      error instanceof Error && 'code' in error && typeof error.code === 'string'
        ? error.code
        : 'read failed';
    return failed([{ path: '$', message: `cannot read ${path} (${code})` }]);
  }
  return validatePolicyText(text);
}

/** Checks policy JSON text. Never throws. */
export function validatePolicyText(text: string): PolicyFileReport {
  const syntax = jsonSyntaxError(text);
  if (syntax !== undefined) return failed([syntax]);
  let policy: CompiledPolicy;
  try {
    policy = parsePolicyJson(text);
  } catch (error) {
    if (error instanceof PolicyValidationError) return failed(error.errors);
    throw error;
  }
  return {
    ok: true,
    errors: [],
    warnings: warningsFor(policy),
    summary: {
      rules: policy.rules.length,
      ruleIds: policy.rules.map((rule) => rule.id),
      principals: principalsNamed(policy),
      tenants: tenantsNamed(policy),
    },
  };
}

/** The report as the CLI prints it: `out` for a valid policy, `err` for problems. */
export function formatPolicyReport(
  file: string,
  report: PolicyFileReport,
): { out: string[]; err: string[] } {
  const warnings = report.warnings.map((warning) => `warning: ${warning.path}: ${warning.message}`);
  if (!report.ok || report.summary === undefined) {
    const count = report.errors.length;
    return {
      out: [],
      err: [
        `${file}: invalid access policy (${count} ${count === 1 ? 'error' : 'errors'})`,
        ...report.errors.map(formatPolicyError),
      ],
    };
  }
  const { rules, ruleIds, principals, tenants } = report.summary;
  return {
    out: [
      `${file}: valid access policy (version 1), ${rules} ${rules === 1 ? 'rule' : 'rules'}: ${ruleIds.join(', ')}`,
      `  accounts: ${listOrNone(principals.accounts)}`,
      `  principal ARN patterns: ${listOrNone(principals.roleArns)}`,
      `  organizations: ${listOrNone(principals.orgIds)}`,
      `  any caller (*): ${principals.anyCaller ? 'yes' : 'no'}`,
      `  tenants: ${listOrNone(tenants)}`,
    ],
    err: warnings,
  };
}

/** The CLI: returns the exit code. */
export function main(
  args: readonly string[],
  write: { out: (line: string) => void; err: (line: string) => void },
): number {
  const [file] = args;
  if (args.length !== 1 || file === undefined) {
    write.err('usage: validate-policy FILE');
    return 2;
  }
  const report = validatePolicyFile(file);
  const { out, err } = formatPolicyReport(file, report);
  for (const line of out) write.out(line);
  for (const line of err) write.err(line);
  return report.ok ? 0 : 1;
}

/**
 * Patterns that compile but can never match what API Gateway reports: a caller using a role is
 * identified by its assumed-role ARN, which carries no role path.
 */
function warningsFor(policy: CompiledPolicy): PolicyError[] {
  const warnings: PolicyError[] = [];
  policy.rules.forEach((rule, ruleIndex) => {
    // A valid policy has no rejected or duplicate entries, so compiled indexes are the file's.
    rule.callers.forEach((pattern, callerIndex) => {
      if (
        pattern.kind === 'arn' &&
        pattern.principalType === 'role' &&
        pattern.segments.length > 1
      ) {
        warnings.push({
          path: `$.rules[${ruleIndex}].callers[${callerIndex}]`,
          message:
            'a role pattern with a path never matches an assumed role (STS ARNs carry no path); write role/NAME',
        });
      }
    });
  });
  return warnings;
}

function tenantsNamed(policy: CompiledPolicy): string[] {
  const named = new Set<string>();
  for (const { tenants } of policy.rules) {
    if (tenants.everyTenant) named.add('*');
    for (const id of tenants.ids) named.add(id);
    for (const glob of tenants.globs) named.add(glob.source);
  }
  return [...named].sort();
}

/**
 * A JSON syntax error with its line and column (1-based), which an editor can jump to; Node
 * before 22 reports only an offset ("at position 522").
 */
export function jsonSyntaxError(text: string): PolicyError | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    const reason = error.message.replace(/ in JSON at position \d+.*$|^JSON Parse error: /s, '');
    const position = /at position (\d+)/.exec(error.message)?.[1];
    const offset = position === undefined ? text.length : Number(position);
    const before = text.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - before.lastIndexOf('\n');
    return { path: '$', message: `not valid JSON at line ${line}, column ${column}: ${reason}` };
  }
}

function failed(errors: PolicyError[]): PolicyFileReport {
  return { ok: false, errors, warnings: [], summary: undefined };
}

function listOrNone(values: readonly string[]): string {
  return values.length === 0 ? '(none)' : values.join(', ');
}

const invokedPath = process.argv[1];
if (invokedPath !== undefined && import.meta.url === pathToFileURL(invokedPath).href) {
  process.exitCode = main(process.argv.slice(2), {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  });
}
