/**
 * The access keys local IAM emulation accepts, each mapped to the IAM principal it stands for:
 * read from `BOX_LOCAL_IAM_KEYS` or `BOX_LOCAL_IAM_KEYS_FILE` and validated. Messages name the
 * variable and the entry, never a secret.
 */
import { readFileSync } from 'node:fs';

/** One access key the emulation accepts, and the IAM principal it stands for. */
export interface LocalIamKey {
  accessKeyId: string;
  secretAccessKey: string;
  /** When set, requests must carry it as `x-amz-security-token` (temporary credentials). */
  sessionToken?: string;
  /** The principal API Gateway would report, e.g. `arn:aws:iam::111122223333:role/etl-nightly`. */
  arn: string;
  accountId: string;
  /** The caller's AWS Organization, for `org:` rules of the access policy. */
  principalOrgId?: string;
}

/** Thrown when BOX_LOCAL_IAM_KEYS / BOX_LOCAL_IAM_KEYS_FILE is unusable; names the variable only. */
export class LocalIamConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalIamConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The local keys from `BOX_LOCAL_IAM_KEYS` (inline JSON) or `BOX_LOCAL_IAM_KEYS_FILE` (a path to
 * the same JSON): `[{"accessKeyId", "secretAccessKey", "arn", "accountId", "principalOrgId"?,
 * "sessionToken"?}]`. `undefined` when neither is set (local mode stays open).
 */
export function loadLocalIamKeys(env: Env = process.env): LocalIamKey[] | undefined {
  const inline = env.BOX_LOCAL_IAM_KEYS?.trim();
  const file = env.BOX_LOCAL_IAM_KEYS_FILE?.trim();
  if (inline && file) {
    throw new LocalIamConfigError(
      'Set only one of the environment variables BOX_LOCAL_IAM_KEYS and BOX_LOCAL_IAM_KEYS_FILE.',
    );
  }
  if (inline) return parseLocalIamKeys(inline, 'BOX_LOCAL_IAM_KEYS');
  if (!file) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new LocalIamConfigError(
      `Cannot read the file named by BOX_LOCAL_IAM_KEYS_FILE (${code}).`,
    );
  }
  return parseLocalIamKeys(text, 'BOX_LOCAL_IAM_KEYS_FILE');
}

/** Validates the key list; messages name the variable and the entry, never a secret. */
export function parseLocalIamKeys(json: string, variable: string): LocalIamKey[] {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new LocalIamConfigError(`${variable} is not valid JSON.`);
  }
  if (!Array.isArray(value) || value.length === 0) {
    throw new LocalIamConfigError(`${variable} must be a non-empty JSON array of keys.`);
  }
  const seen = new Set<string>();
  return value.map((entry: unknown, index) => {
    const where = `${variable}[${index}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new LocalIamConfigError(`${where} must be an object.`);
    }
    const fields = entry as Record<string, unknown>;
    const text = (name: string, required: boolean): string | undefined => {
      const field = fields[name];
      if (field === undefined && !required) return undefined;
      if (typeof field !== 'string' || field === '') {
        throw new LocalIamConfigError(`${where}.${name} must be a non-empty string.`);
      }
      return field;
    };
    const key: LocalIamKey = {
      accessKeyId: text('accessKeyId', true) ?? '',
      secretAccessKey: text('secretAccessKey', true) ?? '',
      arn: text('arn', true) ?? '',
      accountId: text('accountId', true) ?? '',
    };
    if (!/^arn:aws[a-z-]*:(iam|sts)::\d{12}:.+/.test(key.arn)) {
      throw new LocalIamConfigError(`${where}.arn must be an IAM or STS principal ARN.`);
    }
    if (!/^\d{12}$/.test(key.accountId)) {
      throw new LocalIamConfigError(`${where}.accountId must be a 12-digit AWS account ID.`);
    }
    const orgId = text('principalOrgId', false);
    if (orgId !== undefined) key.principalOrgId = orgId;
    const sessionToken = text('sessionToken', false);
    if (sessionToken !== undefined) key.sessionToken = sessionToken;
    if (seen.has(key.accessKeyId)) {
      throw new LocalIamConfigError(`${where}.accessKeyId repeats an earlier entry.`);
    }
    seen.add(key.accessKeyId);
    return key;
  });
}
