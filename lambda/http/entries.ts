/**
 * Entries: how an event arrived. The function is invoked through one alias per source (API
 * Gateway → `api`, the EventBridge schedule → `schedule`), and each alias's resource policy
 * admits only that source. So the qualifier of `context.invokedFunctionArn` proves the source;
 * the event's shape proves nothing (anyone allowed to invoke the function can send an event that
 * looks like API Gateway's, claiming any IAM identity).
 */

import type { Entry } from '../identity.js';

export type { Entry } from '../identity.js';

/** The alias names the deployment gives the API Gateway and the schedule entries. */
export const ENTRY_QUALIFIERS = { api: 'api', schedule: 'schedule' } as const;

/** `arn:partition:lambda:region:account:function:name` has six colons; a qualifier follows a seventh. */
const COLONS_BEFORE_QUALIFIER = 7;

/**
 * The entry an invocation came through, read from the qualifier of the invoked ARN only. Anything
 * but the `api` or `schedule` alias (unqualified, a version, `$LATEST`, a `direct` alias, a
 * malformed or missing ARN) is a direct invocation: the entry with the least privilege.
 */
export function entryOf(invokedFunctionArn: unknown): Entry {
  const qualifier = qualifierOf(invokedFunctionArn);
  if (qualifier === ENTRY_QUALIFIERS.api) return 'api';
  if (qualifier === ENTRY_QUALIFIERS.schedule) return 'schedule';
  return 'direct';
}

/** The part after the seventh `:` of a function ARN, or undefined when there is none. */
function qualifierOf(invokedFunctionArn: unknown): string | undefined {
  if (typeof invokedFunctionArn !== 'string') return undefined;
  let colon = -1;
  for (let seen = 0; seen < COLONS_BEFORE_QUALIFIER; seen += 1) {
    colon = invokedFunctionArn.indexOf(':', colon + 1);
    if (colon === -1) return undefined;
  }
  const qualifier = invokedFunctionArn.slice(colon + 1);
  // A qualifier never holds a colon; an ARN that does is not one Lambda made.
  return qualifier === '' || qualifier.includes(':') ? undefined : qualifier;
}
