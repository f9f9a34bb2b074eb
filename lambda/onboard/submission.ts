/**
 * `POST /onboard`'s body (contract v1.3): `{code, clientId, clientSecret, enterpriseId}`, all
 * strings, nothing else. Messages name the field, never its value: one of them is a secret.
 */
import { InvalidRequestError, InvitationNotFoundError } from '../errors.js';
import { INVITE_CODE_PATTERN } from './invite-code.js';

export interface OnboardSubmission {
  code: string;
  clientId: string;
  clientSecret: string;
  enterpriseId: string;
}

const FIELDS = ['code', 'clientId', 'clientSecret', 'enterpriseId'] as const;

/** Each field's shape and what to say when it is wrong. */
const SHAPES: Readonly<Record<Exclude<(typeof FIELDS)[number], 'code'>, [RegExp, string]>> = {
  // Box client IDs are 32 lower-case letters and digits; a little room for other shapes.
  clientId: [
    /^[A-Za-z0-9_-]{1,128}$/,
    'clientId must be the Box app’s client ID (letters and digits).',
  ],
  // Printable ASCII without spaces: Box secrets are 32 letters and digits.
  clientSecret: [/^[\x21-\x7e]{1,256}$/, 'clientSecret must be the Box app’s client secret.'],
  enterpriseId: [/^\d{1,20}$/, 'enterpriseId must be the Box enterprise ID (digits only).'],
};

/** The submission, checked; 400 for a malformed body, 404 for a code that cannot be one. */
export function parseSubmission(body: unknown): OnboardSubmission {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequestError(
      'POST /onboard takes the JSON body {"code", "clientId", "clientSecret", "enterpriseId"}.',
    );
  }
  // Own keys only: JSON.parse makes `__proto__` an own key, refused like any other unknown one.
  for (const key of Object.keys(body)) {
    if (!(FIELDS as readonly string[]).includes(key)) {
      throw new InvalidRequestError(
        'Unknown field in the body; allowed: code, clientId, clientSecret, enterpriseId.',
      );
    }
  }
  const value = (field: (typeof FIELDS)[number]): string => {
    const raw = Object.hasOwn(body, field) ? (body as Record<string, unknown>)[field] : undefined;
    if (typeof raw !== 'string' || raw === '') {
      throw new InvalidRequestError(`${field} must be a non-empty string.`);
    }
    return raw;
  };
  const code = value('code');
  // A code that cannot be one gets the same answer as an unknown one.
  if (!INVITE_CODE_PATTERN.test(code)) throw new InvitationNotFoundError();
  const submission: OnboardSubmission = {
    code,
    clientId: value('clientId'),
    clientSecret: value('clientSecret'),
    enterpriseId: value('enterpriseId'),
  };
  for (const field of ['clientId', 'clientSecret', 'enterpriseId'] as const) {
    const [shape, message] = SHAPES[field];
    if (!shape.test(submission[field])) throw new InvalidRequestError(message);
  }
  return submission;
}
