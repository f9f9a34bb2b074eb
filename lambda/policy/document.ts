/**
 * The access policy format (v1), defined once.
 *
 * This schema is the single source of the format: the compiler validates documents with it,
 * `AccessPolicyDocument` is inferred from it, and `schema/access-policy.schema.json` (for editors
 * and `$schema`) is generated from it by `npm run schema` (a test keeps the committed file equal to
 * the generated one). What a schema cannot say (unique rule IDs and entries, what an ARN pattern
 * means) is checked by hand in `access-policy.ts`. The format is public: extend it behind new
 * keys, never change what a v1 file means.
 *
 * Messages given here are kinds of error, never the value: they may reach callers.
 */
import * as v from 'valibot';
import { BOX_DOWNSCOPE_SCOPES } from '../contract.js';
import { CALLER_PATTERN_SHAPE, parseCallerPattern } from './caller-match.js';

/** The only format version this broker reads. */
const POLICY_VERSION = 1;
/** Rule IDs appear in logs and metrics: keep them short and plain. */
const RULE_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
/** `enterprise`, `user:ID` (no leading zeros) or `user:*`. */
const SUBJECT_PATTERN = /^(?:enterprise|user:(?:\*|[1-9][0-9]*))$/;
/** `folder:ID` or `file:ID` (folder `0` is a user's root folder). */
const RESOURCE_PATTERN = /^(?:folder|file):(?:0|[1-9][0-9]*)$/;
/**
 * A `tenants` entry: `*` alone, or a tenant ID (`TENANT_ID_PATTERN` in lambda/contract.ts) in
 * which `*` may stand wherever a letter or digit may. So an entry without `*` is exactly a tenant
 * ID, and every glob matches at least one valid ID (a test checks both).
 */
export const TENANT_ENTRY_PATTERN = /^(?:\*|[a-z0-9*](?:[a-z0-9*-]{0,62}[a-z0-9*])?)$/;

const LIST_MESSAGE = 'must be a non-empty array of strings';
const text = v.string('must be a string');

/** A non-empty list; entries must be unique (checked by the compiler, documented here). */
function list<TItem extends v.GenericSchema<unknown, string>>(item: TItem, description: string) {
  return v.pipe(
    v.array(item, LIST_MESSAGE),
    v.minLength(1, LIST_MESSAGE),
    v.description(description),
    v.metadata({ uniqueItems: true }),
  );
}

/** Why a caller entry is wrong, from the parser that explains it (never quoting the entry). */
function callerProblem(issue: { input: string }): string {
  const parsed = parseCallerPattern(issue.input);
  return parsed.ok ? 'not a caller pattern' : parsed.message;
}

export const CallerSchema = v.pipe(
  text,
  v.regex(CALLER_PATTERN_SHAPE, callerProblem),
  v.description(
    'One of: an IAM principal ARN pattern arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME, arn:PARTITION:iam::ACCOUNT:user/[PATH/]NAME or arn:PARTITION:iam::ACCOUNT:root (PARTITION aws, aws-cn or aws-us-gov); account:ACCOUNT_ID (any IAM caller of that 12-digit account); org:ORG_ID (any IAM caller whose principalOrgId is that organization); direct (a direct Lambda invocation, which carries no IAM identity); * (any caller, direct invocations included). In ARN patterns * matches any run of characters within one segment and never crosses / or :, and matching is case-sensitive. Assumed-role callers (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION) are matched as arn:aws:iam::ACCOUNT:role/ROLE: STS ARNs carry no role path, so a pattern that spells a path never matches an assumed role. Federated users are not roles: only *, account: and org: admit them.',
  ),
  v.examples([
    'arn:aws:iam::111122223333:role/etl-*',
    'arn:aws:iam::111122223333:user/ci',
    'account:444455556666',
    'org:o-a1b2c3d4e5',
    'direct',
    '*',
  ]),
);

export const SubjectSchema = v.pipe(
  text,
  v.regex(SUBJECT_PATTERN, 'expected enterprise, user:ID (digits, no leading zero) or user:*'),
  v.description(
    'enterprise (the service account of the tenant’s enterprise), user:ID (one Box user, ID in digits) or user:* (any Box user).',
  ),
  v.examples(['enterprise', 'user:12345', 'user:*']),
);

export const ScopeSchema = v.pipe(
  v.picklist(BOX_DOWNSCOPE_SCOPES, 'not a Box downscoping scope'),
  v.description('A Box downscoping scope.'),
);

export const ResourceSchema = v.pipe(
  text,
  v.regex(RESOURCE_PATTERN, 'expected folder:ID or file:ID (digits, no leading zero)'),
  v.description('folder:ID or file:ID (Box item ID in digits; folder:0 is the root folder).'),
  v.examples(['folder:123', 'file:456']),
);

export const TenantSchema = v.pipe(
  text,
  v.regex(
    TENANT_ENTRY_PATTERN,
    'expected a tenant ID (1 to 64 lowercase letters, digits and inner hyphens), a glob of one, or *',
  ),
  v.description(
    'A tenant ID (1 to 64 lowercase letters, digits and hyphens, starting and ending with a letter or digit), default (the deployment’s default tenant), * (every tenant, default included), or a glob: * within an ID matches any run of letters, digits and hyphens, including none (tenant IDs have no separators, so it is bounded only by the ID). A glob never matches default: name it, or use *.',
  ),
  v.examples(['default', 'acme', 'acme-*', '*']),
);

const RuleObject = v.strictObject(
  {
    id: v.pipe(
      text,
      v.regex(RULE_ID_PATTERN, 'must be 1 to 64 characters of letters, digits, ".", "_" or "-"'),
      v.description(
        'Unique name of the rule; appears in logs, metrics and denials. 1 to 64 letters, digits, dot, underscore or hyphen.',
      ),
    ),
    description: v.optional(
      v.pipe(text, v.description('Free text for humans. Ignored by the broker.')),
    ),
    callers: list(
      CallerSchema,
      'Who the rule admits. The rule applies to a caller when any entry matches.',
    ),
    tenants: v.optional(
      list(
        TenantSchema,
        'Optional: the tenants (Box enterprises) the rule covers. Without it the rule covers only the default tenant, so adding tenants to a deployment never widens an existing policy.',
      ),
    ),
    subjects: list(SubjectSchema, 'Which Box subjects the admitted callers may ask for.'),
    scopes: v.optional(
      list(
        ScopeSchema,
        'Optional scope ceiling. The requested scopes must be a subset; a request without scopes is downscoped to exactly these. Without it, any scopes (or none: an unrestricted token).',
      ),
    ),
    resources: v.optional(
      list(
        ResourceSchema,
        'Optional resource ceiling. The request must name one of these as its resource and ask for a downscoped token; shared links are refused. Without it, any resource or shared link.',
      ),
    ),
  },
  'a rule must be a JSON object',
);

export const RuleSchema = v.pipe(
  RuleObject,
  v.description(
    'Admits some callers (callers) to some Box subjects (subjects) of some tenants (tenants), optionally capped to scopes and resources.',
  ),
);

const PolicyObject = v.strictObject(
  {
    $schema: v.optional(
      v.pipe(
        text,
        v.description(
          'Optional: the schema this file follows, for editors. Ignored by the broker.',
        ),
      ),
    ),
    version: v.pipe(
      v.literal(POLICY_VERSION, `must be ${POLICY_VERSION}`),
      v.description('The format version. Only 1 exists.'),
    ),
    description: v.optional(
      v.pipe(text, v.description('Free text for humans. Ignored by the broker.')),
    ),
    rules: v.pipe(
      v.array(RuleSchema, 'must be a non-empty array of rules'),
      v.minLength(1, 'must be a non-empty array of rules'),
      v.description(
        'The rules, tried in order; the first that allows the request decides. Rule ids must be unique.',
      ),
    ),
  },
  'the policy must be a JSON object',
);

export const AccessPolicySchema = v.pipe(
  PolicyObject,
  v.title('box-token-broker access policy (v1)'),
  v.description(
    'Which AWS callers may have which Box token. A request is allowed when some rule that admits the caller and covers the tenant allows its subject, scopes and resource; otherwise the broker answers 403 access_denied. The broker reads the policy from BOX_ACCESS_POLICY (inline JSON) or BOX_ACCESS_POLICY_FILE; without one it applies {"version":1,"rules":[{"id":"default","callers":["*"],"subjects":["enterprise"]}]} (the default tenant only). Unknown keys are errors. One rule the schema cannot express: rule ids must be unique (the broker and `validate-policy` check it).',
  ),
);

/** An access policy document as written (what the construct and `BOX_ACCESS_POLICY` take). */
export type AccessPolicyDocument = v.InferInput<typeof AccessPolicySchema>;
/** One rule of an {@link AccessPolicyDocument}. */
export type AccessPolicyRule = v.InferInput<typeof RuleSchema>;

/** Keys a policy document may carry (`$schema` lets editors validate the file; it is ignored). */
export const POLICY_KEYS: readonly string[] = Object.keys(PolicyObject.entries);
/** Keys a rule may carry. */
export const RULE_KEYS: readonly string[] = Object.keys(RuleObject.entries);
