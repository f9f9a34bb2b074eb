/**
 * Compiling an access policy: the schema (`document.ts`) checks the structure, this module what a
 * schema cannot say (unique rule IDs and list entries, what a caller pattern means), then builds
 * the form `checkAccess` decides on without parsing anything. Pure: no I/O, no environment.
 */
import { type CallerPattern, parseCallerPattern } from './caller-match.js';
import type { AccessPolicyDocument, AccessPolicyRule } from './document.js';
import { checkStructure, isJsonObject } from './document-check.js';
import { type PolicyError, PolicyValidationError, quoteValue } from './policy-errors.js';
import { compileTenants, type TenantCoverage } from './tenant-match.js';

/** One compiled rule. */
export interface CompiledRule {
  readonly id: string;
  readonly callers: readonly CallerPattern[];
  /** The tenants the rule covers; without `tenants` in the document, `default` only. */
  readonly tenants: TenantCoverage;
  readonly subjects: {
    readonly enterprise: boolean;
    readonly anyUser: boolean;
    readonly users: ReadonlySet<string>;
  };
  /** The scope ceiling, sorted; `undefined` = any scopes. */
  readonly scopes: readonly string[] | undefined;
  readonly scopeSet: ReadonlySet<string> | undefined;
  /** The resource ceiling as `folder:ID` / `file:ID`; `undefined` = any resource. */
  readonly resources: ReadonlySet<string> | undefined;
}

/** A validated policy, ready for `checkAccess`. */
export interface CompiledPolicy {
  readonly rules: readonly CompiledRule[];
}

/**
 * What applies when no policy is configured: the enterprise token of the default tenant for any
 * admitted caller. It names no `tenants`, so it never reaches a registry tenant.
 */
export const DEFAULT_POLICY_DOCUMENT: AccessPolicyDocument = Object.freeze({
  version: 1,
  rules: Object.freeze([
    Object.freeze({
      id: 'default',
      callers: Object.freeze(['*']),
      subjects: Object.freeze(['enterprise']),
    }),
  ]),
}) as AccessPolicyDocument;

/** The lists whose entries must be unique. */
const LIST_KEYS = ['callers', 'tenants', 'subjects', 'scopes', 'resources'] as const;

/**
 * Validates a policy document and compiles it. Throws {@link PolicyValidationError} listing every
 * problem (and nothing else, whatever the input).
 */
export function compilePolicy(document: unknown): CompiledPolicy {
  const structure = checkStructure(document);
  const errors = [...structure.errors, ...uniquenessErrors(document)];
  const rules: CompiledRule[] = [];
  if (structure.document !== undefined) {
    structure.document.rules.forEach((rule, index) => {
      rules.push(compileRule(rule, `$.rules[${index}]`, errors));
    });
  }
  if (errors.length > 0 || structure.document === undefined) {
    throw new PolicyValidationError(errors);
  }
  return Object.freeze({ rules: Object.freeze(rules) });
}

/** Parses and compiles a policy given as JSON text; a syntax error is reported at path `$`. */
export function parsePolicyJson(text: string): CompiledPolicy {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    // The parser's message can quote the text: it is the operator's, so it goes in `value`.
    const detail = error instanceof Error ? error.message : String(error);
    throw new PolicyValidationError([{ path: '$', message: 'not valid JSON', value: detail }]);
  }
  return compilePolicy(document);
}

// ---------------------------------------------------------------------------------------------
// What the schema cannot say is checked here.

/**
 * Duplicate rule IDs and duplicate list entries, found in whatever parts of the document have the
 * right types, so they are reported together with the structural errors.
 */
function uniquenessErrors(document: unknown): PolicyError[] {
  const errors: PolicyError[] = [];
  if (!isJsonObject(document) || !Array.isArray(document.rules)) return errors;
  const firstUse = new Map<string, number>();
  document.rules.forEach((rule: unknown, index) => {
    if (!isJsonObject(rule)) return;
    const path = `$.rules[${index}]`;
    for (const key of LIST_KEYS) {
      const list = Object.hasOwn(rule, key) ? rule[key] : undefined;
      if (!Array.isArray(list)) continue;
      const seen = new Set<string>();
      list.forEach((entry: unknown, position) => {
        if (typeof entry !== 'string') return;
        if (seen.has(entry)) {
          errors.push({
            path: `${path}.${key}[${position}]`,
            message: 'is listed twice',
            ...offending(entry),
          });
        }
        seen.add(entry);
      });
    }
    const id = Object.hasOwn(rule, 'id') ? rule.id : undefined;
    if (typeof id !== 'string') return;
    const earlier = firstUse.get(id);
    if (earlier === undefined) firstUse.set(id, index);
    else {
      errors.push({
        path: `${path}.id`,
        message: `duplicate rule id (also $.rules[${earlier}])`,
        ...offending(id),
      });
    }
  });
  return errors;
}

function compileRule(rule: AccessPolicyRule, path: string, errors: PolicyError[]): CompiledRule {
  const callers: CallerPattern[] = [];
  rule.callers.forEach((entry, index) => {
    const parsed = parseCallerPattern(entry);
    // The schema's caller grammar and the parser agree (a test proves it); this is a backstop.
    if (parsed.ok) callers.push(parsed.pattern);
    else
      errors.push({
        path: `${path}.callers[${index}]`,
        message: parsed.message,
        ...offending(entry),
      });
  });
  let enterprise = false;
  let anyUser = false;
  const users = new Set<string>();
  for (const entry of rule.subjects) {
    if (entry === 'enterprise') enterprise = true;
    else if (entry === 'user:*') anyUser = true;
    else users.add(entry.slice('user:'.length));
  }
  const scopes = rule.scopes === undefined ? undefined : Object.freeze([...rule.scopes].sort());
  return Object.freeze({
    id: rule.id,
    callers: Object.freeze(callers),
    tenants: compileTenants(rule.tenants),
    subjects: Object.freeze({ enterprise, anyUser, users }),
    scopes,
    scopeSet: scopes === undefined ? undefined : new Set(scopes),
    resources: rule.resources === undefined ? undefined : new Set(rule.resources),
  });
}

function offending(entry: string): { value?: string } {
  const value = quoteValue(entry);
  return value === undefined ? {} : { value };
}
