/**
 * The scheduled setup check: on every run of the schedule, the setup check (the engine of
 * `box-token-broker check`) for the default tenant and for this run's slice of the registered
 * tenants, each with its secret read fresh, a few at a time, each inside its own deadline and all
 * inside the run's. The result is data; lambda/setup/run-report.ts turns it into log lines.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { cleanDescription } from '../box/error-answers.js';
import { DEFAULT_TENANT } from '../contract.js';
import { type Deadline, startDeadline } from '../deadline.js';
import { describeSecretProblem, readSecretValue } from '../secret-format.js';
import { runBounded } from './concurrency.js';
import { planRun } from './run-plan.js';
import { runSetupCheck } from './setup-check.js';
import type { SetupCheckResult, StepEvidence } from './setup-check-types.js';
import { listTenants } from './tenant-listing.js';

/** A check is not started with less than this left of the run: it could not finish. */
export const MIN_CHECK_START_MS = 300;

export interface ScheduledSetupChecksOptions {
  client: SecretsManagerClient;
  /** `BOX_CREDENTIALS_SECRET`: the default tenant, checked on every run; undefined = none. */
  defaultSecretId: string | undefined;
  /** `BOX_TENANT_SECRET_PREFIX`; undefined = no registered tenants. */
  tenantSecretPrefix: string | undefined;
  /** `BOX_SETUP_CHECKS_PER_RUN`: registered tenants per run. */
  perRun: number;
  /** `BOX_SETUP_CHECK_CONCURRENCY`: checks in flight at once. */
  concurrency: number;
  /** `BOX_SETUP_CHECK_INTERVAL_SECONDS`, in ms: how often the schedule runs. */
  intervalMs: number;
  /** One tenant's deadline (secret read and every Box call of its check). */
  perCheckMs: number;
  /** Box origin (`BOX_API_URL`). */
  boxApiUrl: string;
  fetch?: typeof fetch;
  now?: () => number;
}

/** How one tenant's check ended. */
export type TenantOutcome =
  /** Every required step passed. */
  | 'pass'
  /** A required step failed, or the secret cannot be read or used. */
  | 'fail'
  /** Nothing failed, but Box or Secrets Manager gave no usable answer: decided next time. */
  | 'inconclusive'
  /** The run ran out of time before (or while) checking it. */
  | 'not_reached'
  /** The secret was deleted (or scheduled for deletion) after the listing: not a tenant now. */
  | 'gone';

/** The step a failing secret blocks, before Box is asked. */
export type SecretStepId = 'secret_read' | 'secret_value';

/** One tenant's check as the run reports it: IDs, codes and reasons, never a secret or token. */
export interface TenantCheck {
  /** The tenant ID; `default` for the default secret. */
  tenant: string;
  outcome: TenantOutcome;
  /** The required steps that failed, in checklist order. */
  failedSteps: string[];
  /** Box's error code on the first failed step (`unauthorized_client`, `invalid_grant` …). */
  boxError?: string;
  /** Box's HTTP status on the first failed step. */
  boxStatus?: number;
  /** Why, in a few words: the secret's problem, the AWS error's name, why it was not decided. */
  reason?: string;
  /**
   * A failed check's failed steps with the fix `box-token-broker check` prints for each, and
   * Box's answers that decided them (the client ID and secret masked): what a health event says.
   */
  failures?: FailedStep[];
  durationMs: number;
}

/** One failed step of a tenant's check, as the CLI prints it. */
export interface FailedStep {
  id: string;
  title: string;
  fix: string | null;
  evidence: StepEvidence[];
}

/** The fixes of the steps a secret blocks before Box is asked (not checklist steps of Box's). */
export const SECRET_STEP_FIXES: Readonly<Record<SecretStepId, { title: string; fix: string }>> = {
  secret_read: {
    title: "The broker can read the tenant's secret",
    fix: "Let the broker's role read the secret (secretsmanager:GetSecretValue) and decrypt it with its KMS key (kms:Decrypt via Secrets Manager); a secret under the tenant prefix must carry the tag box-token-broker:tenant (docs/tenants.md).",
  },
  secret_value: {
    title: "The tenant's secret holds the Box app's credentials",
    fix: 'Store the JSON {"clientId", "clientSecret", "enterpriseId"} in the secret: "box-token-broker tenant add ID" checks the app before it stores them; "tenant check ID" re-checks them.',
  },
};

/** One run's result. */
export interface SetupCheckRun {
  /** Registered tenants found; undefined without a prefix or when the listing failed. */
  registered: number | undefined;
  /**
   * The registered tenants' IDs (every slice's); undefined without a prefix or when the listing
   * failed. Tenant health counts only tenants that still exist.
   */
  registeredIds?: readonly string[] | undefined;
  /** Secrets under the prefix that are not tenant IDs. */
  ignored: number;
  /** This run's slice of the registered tenants (0-based) and how many slices there are. */
  slice: number;
  slices: number;
  /** How long one pass over every registered tenant takes, in ms. */
  cycleMs: number;
  /** The AWS error name when ListSecrets failed (the registered tenants were not checked). */
  listingError?: string;
  /** Every tenant this run was to check, in the order it took them. */
  tenants: TenantCheck[];
}

interface Target {
  tenant: string;
  secretId: string;
}

/** Runs the scheduled setup checks; built once per execution environment. */
export class ScheduledSetupChecks {
  readonly #options: ScheduledSetupChecksOptions;
  readonly #now: () => number;

  constructor(options: ScheduledSetupChecksOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** One run, inside `runDeadline`. Never throws for anything AWS or Box answers. */
  async run(runDeadline: Deadline): Promise<SetupCheckRun> {
    const options = this.#options;
    const targets: Target[] = [];
    if (options.defaultSecretId !== undefined) {
      targets.push({ tenant: DEFAULT_TENANT, secretId: options.defaultSecretId });
    }
    const run: SetupCheckRun = {
      registered: undefined,
      ignored: 0,
      slice: 0,
      slices: 0,
      cycleMs: 0,
      tenants: [],
    };
    const prefix = options.tenantSecretPrefix;
    if (prefix !== undefined) {
      try {
        const listing = await listTenants(options.client, prefix, runDeadline);
        const plan = planRun({
          tenantIds: listing.tenantIds,
          perRun: options.perRun,
          intervalMs: options.intervalMs,
          nowMs: this.#now(),
          rotationStep: options.concurrency,
        });
        run.registered = listing.tenantIds.length;
        run.registeredIds = listing.tenantIds;
        run.ignored = listing.ignored;
        run.slice = plan.slice;
        run.slices = plan.slices;
        run.cycleMs = plan.cycleMs;
        for (const tenant of plan.tenantIds) targets.push({ tenant, secretId: prefix + tenant });
      } catch (error) {
        run.listingError = errorName(error);
      }
    }
    run.tenants = await runBounded(targets, {
      limit: options.concurrency,
      mayStart: () => runDeadline.atMs - this.#now() >= MIN_CHECK_START_MS,
      work: (target) => this.#check(target, runDeadline),
      notStarted: (target) => ({
        tenant: target.tenant,
        outcome: 'not_reached',
        failedSteps: [],
        durationMs: 0,
      }),
    });
    return run;
  }

  async #check(target: Target, runDeadline: Deadline): Promise<TenantCheck> {
    const startedAt = this.#now();
    const deadline = startDeadline({
      budgetMs: this.#options.perCheckMs,
      remainingMs: runDeadline.atMs - startedAt,
      answerMarginMs: 0,
      now: this.#now,
    });
    const done = (fields: Omit<TenantCheck, 'tenant' | 'durationMs'>): TenantCheck => {
      // A check the run's deadline cut short says nothing about the tenant.
      const cut = fields.outcome === 'inconclusive' && this.#now() >= runDeadline.atMs;
      return {
        tenant: target.tenant,
        ...fields,
        ...(cut ? { outcome: 'not_reached' } : {}),
        durationMs: this.#now() - startedAt,
      };
    };

    let secretString: string | undefined;
    try {
      const output = await this.#options.client.send(
        new GetSecretValueCommand({ SecretId: target.secretId }),
        { abortSignal: deadline.signal },
      );
      secretString = output.SecretString;
    } catch (error) {
      const name = deadline.signal.aborted ? 'timeout' : errorName(error);
      return done(secretReadFailure(name));
    }
    const reading = readSecretValue(secretString);
    if (!reading.ok) {
      return done({
        outcome: 'fail',
        failedSteps: ['secret_value' satisfies SecretStepId],
        reason: describeSecretProblem(reading.problem),
        failures: [secretStepFailure('secret_value')],
      });
    }
    const result = await runSetupCheck(
      { credentials: reading.credentials },
      {
        apiUrl: this.#options.boxApiUrl,
        deadline,
        now: this.#now,
        ...(this.#options.fetch === undefined ? {} : { fetch: this.#options.fetch }),
      },
    );
    const { clientId, clientSecret } = reading.credentials;
    return done(fromSetupResult(result, [clientId, clientSecret]));
  }
}

/** What a failed GetSecretValue means for the tenant. */
function secretReadFailure(name: string): Omit<TenantCheck, 'tenant' | 'durationMs'> {
  switch (name) {
    case 'ResourceNotFoundException':
    // Secrets Manager answers InvalidRequestException for a secret scheduled for deletion.
    case 'InvalidRequestException':
      return { outcome: 'gone', failedSteps: [], reason: name };
    // The broker could not read it either: callers of this tenant would fail.
    case 'AccessDeniedException':
    case 'DecryptionFailure':
    case 'KMSAccessDeniedException':
      return {
        outcome: 'fail',
        failedSteps: ['secret_read' satisfies SecretStepId],
        reason: name,
        failures: [secretStepFailure('secret_read')],
      };
    default:
      // Throttling, an outage or the deadline: nothing learnt about the tenant.
      return { outcome: 'inconclusive', failedSteps: [], reason: `secret read: ${name}` };
  }
}

/** A secret step's failure, with its fix. */
function secretStepFailure(id: SecretStepId): FailedStep {
  return { id, ...SECRET_STEP_FIXES[id], evidence: [] };
}

/**
 * The setup check's verdict, reduced to what the run logs and what a health event says; Box's
 * messages with `secrets` (the client ID and secret) masked.
 */
function fromSetupResult(
  result: SetupCheckResult,
  secrets: readonly string[],
): Omit<TenantCheck, 'tenant' | 'durationMs'> {
  if (result.outcome === 'pass') return { outcome: 'pass', failedSteps: [] };
  if (result.outcome === 'inconclusive') {
    const undecided = result.steps.find((step) => step.required && step.status !== 'pass');
    return {
      outcome: 'inconclusive',
      failedSteps: [],
      ...(undecided === undefined ? {} : { reason: `${undecided.id}: ${undecided.note}` }),
    };
  }
  const first = result.steps.find((step) => step.id === result.failedSteps[0]);
  const evidence = first?.evidence.find((item) => item.code !== undefined) ?? first?.evidence[0];
  const failures = result.steps
    .filter((step) => step.required && step.status === 'fail')
    .map(
      (step): FailedStep => ({
        id: step.id,
        title: step.title,
        fix: step.fix,
        evidence: step.evidence.map((item) => masked(item, secrets)),
      }),
    );
  return {
    outcome: 'fail',
    failedSteps: [...result.failedSteps],
    ...(evidence?.code === undefined ? {} : { boxError: evidence.code }),
    ...(evidence?.status === undefined ? {} : { boxStatus: evidence.status }),
    failures,
  };
}

/** Box's answer with `secrets` masked in its request and message. */
function masked(evidence: StepEvidence, secrets: readonly string[]): StepEvidence {
  const out: StepEvidence = { request: cleanDescription(evidence.request, secrets) };
  if (evidence.status !== undefined) out.status = evidence.status;
  if (evidence.code !== undefined) out.code = evidence.code;
  if (evidence.message !== undefined) out.message = cleanDescription(evidence.message, secrets);
  return out;
}

/** An AWS SDK error's name (its exception type), never its message (it can quote ARNs). */
function errorName(error: unknown): string {
  if (error instanceof Error && /^[A-Za-z][A-Za-z0-9_.]{0,63}$/.test(error.name)) return error.name;
  return 'Error';
}
