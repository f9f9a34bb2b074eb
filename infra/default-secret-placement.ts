import { Annotations, Stack, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { ConfigError } from './config-checks.js';

/**
 * The text a string is known to start with at synth: all of it for a plain string (or a token
 * that resolves to one), the literal head of an `Fn::Join` with an empty delimiter, nothing for
 * any other token (a parameter, an import, a reference).
 */
export interface KnownHead {
  readonly text: string;
  /** True when `text` is the whole value. */
  readonly complete: boolean;
}

/** What synth can tell about a name lying under a prefix. */
export type Placement = 'under' | 'outside' | 'unknown';

/** What synth knows of the beginning of `value`. */
export function knownHead(scope: IConstruct, value: string): KnownHead {
  if (!Token.isUnresolved(value)) return { text: value, complete: true };
  return headOf(Stack.of(scope).resolve(value));
}

function headOf(resolved: unknown): KnownHead {
  if (typeof resolved === 'string') return { text: resolved, complete: true };
  const join = (resolved as { 'Fn::Join'?: unknown } | null)?.['Fn::Join'];
  if (!Array.isArray(join) || join[0] !== '' || !Array.isArray(join[1])) {
    return { text: '', complete: false };
  }
  let text = '';
  for (const part of join[1] as unknown[]) {
    const head = headOf(part);
    text += head.text;
    if (!head.complete) return { text, complete: false };
  }
  return { text, complete: true };
}

/**
 * Whether a name starts with a prefix, from what synth knows of both: `under` and `outside` are
 * certain; `unknown` means the unresolved parts decide.
 */
export function placement(name: KnownHead, prefix: KnownHead): Placement {
  if (prefix.complete) {
    if (name.text.startsWith(prefix.text)) return 'under';
    if (name.complete || !prefix.text.startsWith(name.text)) return 'outside';
    return 'unknown';
  }
  // Only the prefix's head is known: the name can lie under it only if the two agree so far.
  const agree =
    name.text.startsWith(prefix.text) || (!name.complete && prefix.text.startsWith(name.text));
  return agree ? 'unknown' : 'outside';
}

/**
 * Refuses a default secret under the tenants' prefix: a tenant ID could then name the default
 * credentials, and the `<prefix>*` grant would let the function read it as a tenant. Decided at
 * synth when the names are known enough (tokens included: see {@link knownHead}); otherwise a
 * warning says that the function refuses it at cold start instead.
 *
 * A secret the stack creates is never under the prefix: CloudFormation names it
 * `<logical ID>-<random>`, without `/`, and a prefix ends with `/`.
 */
export function checkDefaultSecretPlacement(
  scope: IConstruct,
  secretName: string,
  prefix: string,
): void {
  const where = placement(knownHead(scope, secretName), knownHead(scope, prefix));
  if (where === 'under') {
    throw new ConfigError(
      'BoxTokenBroker: the default secret lies under tenantSecretPrefix, so a tenant ID could ' +
        'name it; keep the tenants’ secrets under a prefix of their own.',
    );
  }
  if (where === 'unknown') {
    Annotations.of(scope).addWarningV2(
      'box-token-broker:default-secret-placement',
      'The default secret’s name or tenantSecretPrefix is only known at deploy time, so synth ' +
        'cannot tell whether the default secret lies under the prefix. The function refuses that ' +
        'at cold start (every request answers 500 misconfigured); keep them apart.',
    );
  }
}
