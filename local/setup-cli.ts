/**
 * `box-token-broker check` and `box-token-broker tenant add|check|list|remove`: the setup check
 * from a terminal, and onboarding tenants only after their Box app passes it. Runs in-process
 * through {@link runSetupCli} (tests inject the Secrets Manager client, fetch, clock and prompt).
 * Nothing secret is printed: the client secret is never taken from argv and never echoed.
 */
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { startDeadline } from '../lambda/deadline.js';
import {
  runSetupCheck,
  type SetupCheckResult,
  type SetupCredentials,
} from '../lambda/setup/setup-check.js';
import { parseRequiredScopes } from '../lambda/setup/steps.js';
import type { Prompt } from './secret-prompt.js';
import { formatSetupReport } from './setup-report.js';
import {
  DEFAULT_TENANT_PREFIX,
  RECOVERY_DAYS,
  TenantRegistry,
  tenantIdProblem,
} from './tenant-registry.js';

/** Exit codes of the setup commands. */
export const SETUP_EXIT = {
  /** Every required step passed (or the tenant command succeeded). */
  ok: 0,
  /** A required step failed; for `tenant add`, nothing was stored. */
  failed: 1,
  usage: 2,
  /** Nothing failed, but Box did not answer every required step: run it again. */
  inconclusive: 3,
  /** The credentials could not be obtained (secret missing or malformed, no prompt). */
  credentials: 4,
  /** An AWS call failed (tenant exists, access denied, …). */
  aws: 5,
} as const;

export const SETUP_USAGE = `Usage:
  box-token-broker check [--secret NAME | --tenant ID] [--as-user ID] [--require SCOPE]... [--json]
  box-token-broker tenant add ID [--as-user ID] [--require SCOPE]... [--added-by WHO] [--json]
  box-token-broker tenant check ID [--as-user ID] [--require SCOPE]... [--json]
  box-token-broker tenant list [--json]
  box-token-broker tenant remove ID [--recovery-days N]

Credentials (check): --secret NAME or --tenant ID (Secrets Manager, your AWS credentials and
AWS_REGION), else BOX_CLIENT_ID / BOX_CLIENT_SECRET / BOX_ENTERPRISE_ID, else a prompt (the
client secret is read without echo). tenant add takes them from those variables or the prompt.
Box: BOX_API_URL (default https://api.box.com). Tenant secrets: <prefix><ID>, prefix from
--tenant-prefix or BOX_TENANT_SECRET_PREFIX (default ${DEFAULT_TENANT_PREFIX}).
--require: Box scopes, e.g. root_readonly (alias read_all_files), root_readwrite, manage_managed_users.
--timeout SECONDS: the whole check's budget (default 30).

Exit codes: 0 pass, 1 a required step failed, 2 usage, 3 inconclusive (Box did not answer),
4 credentials unavailable, 5 AWS call failed.`;

/** Where the command writes and what it reads. */
export interface SetupCliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  /** Interactive prompt; undefined when not on a terminal. */
  prompt?: Prompt | undefined;
}

/** Outside services, injectable. */
export interface SetupCliDeps {
  /** Built on first use, so `check` from env never needs AWS. */
  secretsManager: () => SecretsManagerClient;
  fetch?: typeof fetch;
  now?: () => number;
}

class CliFailure extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

function parseCommandLine(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    strict: true,
    allowPositionals: true,
    options: {
      secret: { type: 'string' },
      tenant: { type: 'string' },
      'tenant-prefix': { type: 'string' },
      'as-user': { type: 'string' },
      require: { type: 'string', multiple: true },
      'added-by': { type: 'string' },
      'recovery-days': { type: 'string' },
      timeout: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

type Values = ReturnType<typeof parseCommandLine>['values'];

/** Runs `check …` or `tenant …` (args without the bin name); resolves to the exit code. */
export async function runSetupCli(
  args: readonly string[],
  io: SetupCliIo,
  deps: SetupCliDeps,
): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(args);
  } catch (error) {
    io.stderr(
      `box-token-broker: ${error instanceof Error ? error.message : 'bad arguments'}\n\n${SETUP_USAGE}\n`,
    );
    return SETUP_EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    io.stdout(`${SETUP_USAGE}\n`);
    return SETUP_EXIT.ok;
  }
  const command = new SetupCommand(values, io, deps);
  try {
    const [verb, action, id, ...rest] = positionals;
    if (verb === 'check' && action === undefined) return await command.check();
    if (verb === 'tenant' && action === 'list' && id === undefined) return await command.list();
    if (verb === 'tenant' && id !== undefined && rest.length === 0) {
      if (action === 'add') return await command.add(id);
      if (action === 'check') return await command.tenantCheck(id);
      if (action === 'remove') return await command.remove(id);
    }
    throw new CliFailure(SETUP_EXIT.usage, 'unknown command');
  } catch (error) {
    if (!(error instanceof CliFailure)) throw error;
    io.stderr(`box-token-broker: ${error.message}\n`);
    if (error.exitCode === SETUP_EXIT.usage) io.stderr(`\n${SETUP_USAGE}\n`);
    return error.exitCode;
  }
}

/** One invocation's state: options, outputs, lazily built registry. */
class SetupCommand {
  #registry: TenantRegistry | undefined;

  constructor(
    private readonly values: Values,
    private readonly io: SetupCliIo,
    private readonly deps: SetupCliDeps,
  ) {}

  async check(): Promise<number> {
    const { secret, tenant } = this.values;
    if (secret !== undefined && tenant !== undefined) {
      throw new CliFailure(SETUP_EXIT.usage, 'give --secret or --tenant, not both');
    }
    let credentials: SetupCredentials;
    if (secret !== undefined) credentials = await this.#fromSecret(secret);
    else if (tenant !== undefined) credentials = await this.#fromSecret(this.#tenantSecret(tenant));
    else credentials = await this.#fromEnvOrPrompt();
    return this.#report(await this.#runCheck(credentials));
  }

  async add(tenantId: string): Promise<number> {
    const registry = this.#registryFor(tenantId);
    const addedBy = this.#addedBy();
    const credentials = await this.#fromEnvOrPrompt();
    const result = await this.#runCheck(credentials);
    const secretName = registry.secretName(tenantId);
    if (result.outcome !== 'pass') {
      this.#print(result, { tenant: tenantId, added: false, secretName });
      this.io.stderr(
        `box-token-broker: tenant ${tenantId} NOT added: the setup check did not pass; nothing was stored.\n`,
      );
      return exitFor(result);
    }
    let arn: string | undefined;
    try {
      arn = await registry.create(tenantId, credentials, addedBy, lastCheckTag(result));
    } catch (error) {
      const name = awsErrorName(error);
      const hint =
        name === 'ResourceExistsException'
          ? `: the tenant already exists; run "tenant check ${tenantId}", or "tenant remove ${tenantId}" first`
          : '';
      throw new CliFailure(SETUP_EXIT.aws, `storing ${secretName} failed (${name})${hint}`);
    }
    this.#print(result, {
      tenant: tenantId,
      added: true,
      secretName,
      secretArn: arn ?? null,
      addedBy,
    });
    if (this.values.json !== true) {
      this.io.stdout(`tenant ${tenantId} added: secret ${secretName} (added by ${addedBy})\n`);
    }
    return SETUP_EXIT.ok;
  }

  async tenantCheck(tenantId: string): Promise<number> {
    const registry = this.#registryFor(tenantId);
    const result = await this.#runCheck(await this.#fromSecret(registry.secretName(tenantId)));
    try {
      await registry.recordCheck(tenantId, lastCheckTag(result));
    } catch (error) {
      this.io.stderr(
        `box-token-broker: warning: could not record the result on the secret (${awsErrorName(error)})\n`,
      );
    }
    return this.#report(result, { tenant: tenantId });
  }

  async list(): Promise<number> {
    let tenants: Awaited<ReturnType<TenantRegistry['list']>>;
    try {
      tenants = await this.#registry_().list();
    } catch (error) {
      throw new CliFailure(SETUP_EXIT.aws, `listing tenants failed (${awsErrorName(error)})`);
    }
    if (this.values.json === true) {
      this.io.stdout(`${JSON.stringify({ prefix: this.#registry_().prefix, tenants })}\n`);
      return SETUP_EXIT.ok;
    }
    if (tenants.length === 0) this.io.stdout(`no tenants under ${this.#registry_().prefix}\n`);
    for (const t of tenants) {
      this.io.stdout(
        `${t.tenantId}\tlast check: ${t.lastCheck ?? 'never'}\tadded by: ${t.addedBy ?? 'unknown'}\n`,
      );
    }
    return SETUP_EXIT.ok;
  }

  async remove(tenantId: string): Promise<number> {
    const registry = this.#registryFor(tenantId);
    const raw = this.values['recovery-days'] ?? String(RECOVERY_DAYS.default);
    const days = /^\d{1,2}$/.test(raw) ? Number(raw) : Number.NaN;
    if (!(days >= RECOVERY_DAYS.min && days <= RECOVERY_DAYS.max)) {
      throw new CliFailure(
        SETUP_EXIT.usage,
        `--recovery-days must be ${RECOVERY_DAYS.min} to ${RECOVERY_DAYS.max}`,
      );
    }
    let deletionDate: Date | undefined;
    try {
      deletionDate = await registry.remove(tenantId, days);
    } catch (error) {
      throw new CliFailure(
        SETUP_EXIT.aws,
        `removing tenant ${tenantId} failed (${awsErrorName(error)})`,
      );
    }
    const secretName = registry.secretName(tenantId);
    this.io.stdout(
      `tenant ${tenantId}: secret ${secretName} scheduled for deletion${deletionDate === undefined ? '' : ` on ${deletionDate.toISOString()}`} (${days}-day recovery window; undo with: aws secretsmanager restore-secret --secret-id ${secretName})\n`,
    );
    return SETUP_EXIT.ok;
  }

  async #runCheck(credentials: SetupCredentials): Promise<SetupCheckResult> {
    const scopes = parseRequiredScopes(this.values.require ?? []);
    if ('unknown' in scopes) {
      throw new CliFailure(
        SETUP_EXIT.usage,
        `--require: unknown Box scope(s) ${scopes.unknown.join(', ')}`,
      );
    }
    const asUser = this.values['as-user'];
    if (asUser !== undefined && !/^\d{1,20}$/.test(asUser)) {
      throw new CliFailure(SETUP_EXIT.usage, '--as-user must be a Box user ID (digits)');
    }
    const timeout = this.values.timeout ?? '30';
    if (!/^\d{1,3}$/.test(timeout) || Number(timeout) < 1) {
      throw new CliFailure(SETUP_EXIT.usage, '--timeout must be 1 to 999 seconds');
    }
    const now = this.deps.now ?? Date.now;
    const deadline = startDeadline({ budgetMs: Number(timeout) * 1000, answerMarginMs: 0, now });
    return runSetupCheck(
      { credentials, asUserId: asUser, requiredScopes: scopes.scopes },
      {
        apiUrl: this.io.env.BOX_API_URL ?? 'https://api.box.com',
        deadline,
        now,
        ...(this.deps.fetch === undefined ? {} : { fetch: this.deps.fetch }),
      },
    );
  }

  #report(result: SetupCheckResult, extra: Record<string, unknown> = {}): number {
    this.#print(result, extra);
    return exitFor(result);
  }

  #print(result: SetupCheckResult, extra: Record<string, unknown>): void {
    if (this.values.json === true) {
      this.io.stdout(`${JSON.stringify({ ...extra, ...result })}\n`);
    } else {
      this.io.stdout(`${formatSetupReport(result).join('\n')}\n`);
    }
  }

  async #fromSecret(secretId: string): Promise<SetupCredentials> {
    try {
      return await this.#registry_().readCredentials(secretId);
    } catch (error) {
      // Secret-format problems carry safe messages; AWS errors are reduced to their name.
      const name = awsErrorName(error);
      const detail = name === 'MisconfiguredError' && error instanceof Error ? error.message : name;
      throw new CliFailure(SETUP_EXIT.credentials, `cannot read the secret ${secretId}: ${detail}`);
    }
  }

  async #fromEnvOrPrompt(): Promise<SetupCredentials> {
    const { env, prompt } = this.io;
    const ask = async (variable: string, question: string, secret: boolean): Promise<string> => {
      const fromEnv = env[variable];
      if (fromEnv !== undefined && fromEnv.trim() !== '') return fromEnv.trim();
      if (prompt === undefined) {
        throw new CliFailure(
          SETUP_EXIT.credentials,
          `no credentials: set ${variable} (or BOX_CLIENT_ID, BOX_CLIENT_SECRET, BOX_ENTERPRISE_ID), give --secret/--tenant, or run on a terminal to be prompted`,
        );
      }
      return prompt(question, { secret });
    };
    const clientId = await ask('BOX_CLIENT_ID', 'Box client ID: ', false);
    const clientSecret = await ask('BOX_CLIENT_SECRET', 'Box client secret (not shown): ', true);
    const enterpriseId = await ask('BOX_ENTERPRISE_ID', 'Box enterprise ID: ', false);
    if (clientId === '' || clientSecret === '') {
      throw new CliFailure(SETUP_EXIT.credentials, 'the client ID and secret must not be empty');
    }
    if (!/^\d+$/.test(enterpriseId)) {
      throw new CliFailure(
        SETUP_EXIT.credentials,
        'the enterprise ID must be digits only (Admin Console > Account & Billing)',
      );
    }
    return { clientId, clientSecret, enterpriseId };
  }

  #tenantSecret(tenantId: string): string {
    return this.#registryFor(tenantId).secretName(tenantId);
  }

  #registryFor(tenantId: string): TenantRegistry {
    const problem = tenantIdProblem(tenantId);
    if (problem !== undefined) throw new CliFailure(SETUP_EXIT.usage, problem);
    return this.#registry_();
  }

  #registry_(): TenantRegistry {
    if (this.#registry === undefined) {
      const prefix =
        this.values['tenant-prefix'] ??
        this.io.env.BOX_TENANT_SECRET_PREFIX ??
        DEFAULT_TENANT_PREFIX;
      this.#registry = new TenantRegistry(this.deps.secretsManager(), prefix);
    }
    return this.#registry;
  }

  /**
   * Who adds the tenant, for the tag. Taken from --added-by or BOX_TENANT_ADDED_BY; otherwise the
   * local OS user, marked as such: it is not verified (no STS call; see docs/setup-check.md).
   */
  #addedBy(): string {
    const given = this.values['added-by'] ?? this.io.env.BOX_TENANT_ADDED_BY;
    if (given !== undefined && given.trim() !== '') return given.trim();
    return `os-user:${userInfo().username}`;
  }
}

function exitFor(result: SetupCheckResult): number {
  switch (result.outcome) {
    case 'pass':
      return SETUP_EXIT.ok;
    case 'fail':
      return SETUP_EXIT.failed;
    case 'inconclusive':
      return SETUP_EXIT.inconclusive;
  }
}

/** The tag value recording a check: `<outcome> <ISO time>[ <failed steps>]`. */
export function lastCheckTag(result: SetupCheckResult): string {
  const failed = result.failedSteps.length === 0 ? '' : ` ${result.failedSteps.join(',')}`;
  return `${result.outcome} ${result.checkedAt}${failed}`.slice(0, 256);
}

/** An error's name only (AWS messages may quote ARNs). */
function awsErrorName(error: unknown): string {
  return error instanceof Error ? error.name : 'UnknownError';
}
