/**
 * Generates `schema/access-policy.schema.json` from the one definition of the access policy format
 * (lambda/policy/document.ts), so editors and `$schema` see exactly what the broker accepts.
 *
 *   npm run schema            writes the file
 *   npm run schema -- --check exits 1 when the committed file differs from the generated one
 *
 * `@valibot/to-json-schema` is a development dependency: it runs here, never in the function.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { toJsonSchema } from '@valibot/to-json-schema';
import {
  AccessPolicySchema,
  CallerSchema,
  ResourceSchema,
  RuleSchema,
  ScopeSchema,
  SubjectSchema,
  TenantSchema,
} from '../lambda/policy/document.js';

/** Where the generated schema lives, relative to the repository root. */
export const ACCESS_POLICY_SCHEMA_FILE = 'schema/access-policy.schema.json';
/** The schema's `$id`: a name, not a URL anything is fetched from. */
export const ACCESS_POLICY_SCHEMA_ID = 'urn:box-token-broker:schema:access-policy:v1';

/** The JSON Schema (draft 2020-12) of the access policy, as an object. */
export function accessPolicyJsonSchema(): Record<string, unknown> {
  const generated = toJsonSchema(AccessPolicySchema, {
    target: 'draft-2020-12',
    errorMode: 'throw',
    definitions: {
      rule: RuleSchema,
      caller: CallerSchema,
      tenant: TenantSchema,
      subject: SubjectSchema,
      scope: ScopeSchema,
      resource: ResourceSchema,
    },
  });
  const { $schema, title, description, ...rest } = generated;
  return { $schema, $id: ACCESS_POLICY_SCHEMA_ID, title, description, ...rest };
}

/** The file's text: two-space JSON and a final newline. */
export function accessPolicySchemaText(): string {
  return `${JSON.stringify(accessPolicyJsonSchema(), null, 2)}\n`;
}

const invokedPath = process.argv[1];
if (invokedPath !== undefined && import.meta.url === pathToFileURL(invokedPath).href) {
  const file = resolve(import.meta.dirname, '..', ACCESS_POLICY_SCHEMA_FILE);
  const text = accessPolicySchemaText();
  if (process.argv.includes('--check')) {
    const current = readFileSync(file, 'utf8');
    if (current !== text) {
      process.stderr.write(`${ACCESS_POLICY_SCHEMA_FILE} is out of date: run npm run schema\n`);
      process.exitCode = 1;
    }
  } else {
    writeFileSync(file, text);
    process.stdout.write(`wrote ${ACCESS_POLICY_SCHEMA_FILE}\n`);
  }
}
