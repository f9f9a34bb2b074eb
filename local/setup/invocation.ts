import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { boxApiOrigin, ConfigVariableError } from '../../lambda/config.js';
import type { SetupCheckResult } from '../../lambda/setup/setup-check-types.js';
import type {
  FleetControlStore,
  InvitationStore,
  TenantHealthStore,
} from '../../lambda/state/ports.js';
import type { SetupOptions } from './arguments.js';
import { exitCodeFor, SETUP_EXIT, SetupCliFailure } from './exit-codes.js';
import { formatSetupReport } from './report.js';
import type { Prompt } from './secret-prompt.js';
import { DEFAULT_TENANT_PREFIX, TenantRegistry, tenantIdProblem } from './tenant-registry.js';

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
  /**
   * The fleet state controls on the table `tableName` (BOX_STATE_TABLE), built on first use;
   * undefined when the deployment has no fleet state.
   */
  fleetControls?: (tableName: string) => FleetControlStore;
  /** Each tenant's health in the table `tableName` (BOX_STATE_TABLE), for `tenant list`. */
  tenantHealth?: (tableName: string) => TenantHealthStore;
  /**
   * Onboarding invitations on the table `tableName` (BOX_STATE_TABLE), built on first use;
   * without a table `tenant invite` says what to set and `tenant list` shows none.
   */
  invitations?: (tableName: string) => InvitationStore;
}

/** One invocation's state: its options, where it writes, and the tenant registry built on first use. */
export class SetupInvocation {
  #registry: TenantRegistry | undefined;
  #controls: FleetControlStore | undefined;
  #health: TenantHealthStore | undefined;
  #invitations: InvitationStore | undefined;

  constructor(
    readonly options: SetupOptions,
    readonly io: SetupCliIo,
    readonly deps: SetupCliDeps,
  ) {}

  /** The tenant registry under `--tenant-prefix`, BOX_TENANT_SECRET_PREFIX or the default. */
  registry(): TenantRegistry {
    if (this.#registry === undefined) {
      const prefix =
        this.options['tenant-prefix'] ??
        this.io.env.BOX_TENANT_SECRET_PREFIX ??
        DEFAULT_TENANT_PREFIX;
      this.#registry = new TenantRegistry(this.deps.secretsManager(), prefix);
    }
    return this.#registry;
  }

  /** Suspensions in the fleet state table (BOX_STATE_TABLE); undefined when it is not set. */
  fleetControls(): FleetControlStore | undefined {
    this.#controls ??= this.#onStateTable(this.deps.fleetControls);
    return this.#controls;
  }

  /** Tenant health in the fleet state table (BOX_STATE_TABLE); undefined when it is not set. */
  tenantHealth(): TenantHealthStore | undefined {
    this.#health ??= this.#onStateTable(this.deps.tenantHealth);
    return this.#health;
  }

  /** Onboarding invitations in the fleet state table (BOX_STATE_TABLE); undefined when it is not set. */
  invitations(): InvitationStore | undefined {
    this.#invitations ??= this.#onStateTable(this.deps.invitations);
    return this.#invitations;
  }

  /** A store on the table BOX_STATE_TABLE names; undefined without the name or the builder. */
  #onStateTable<T>(build: ((tableName: string) => T) | undefined): T | undefined {
    const tableName = this.io.env.BOX_STATE_TABLE?.trim();
    if (tableName === undefined || tableName === '' || build === undefined) return undefined;
    return build(tableName);
  }

  /**
   * Box's origin from BOX_API_URL (default https://api.box.com), held to the function's rule:
   * https, or http only to a loopback host, so a client secret never travels in the clear.
   */
  boxApiUrl(): string {
    try {
      return boxApiOrigin(this.io.env);
    } catch (error) {
      if (!(error instanceof ConfigVariableError)) throw error;
      throw new SetupCliFailure(
        SETUP_EXIT.usage,
        `${error.message} The check sends the client secret there.`,
      );
    }
  }

  /** The registry, once `tenantId` is known to be a valid tenant ID (a usage failure otherwise). */
  registryFor(tenantId: string): TenantRegistry {
    const problem = tenantIdProblem(tenantId);
    if (problem !== undefined) throw new SetupCliFailure(SETUP_EXIT.usage, problem);
    return this.registry();
  }

  /** Prints the check's result (with `extra` fields in JSON) and returns its exit code. */
  report(result: SetupCheckResult, extra: Record<string, unknown> = {}): number {
    this.print(result, extra);
    return exitCodeFor(result);
  }

  /** Writes `document` as the one JSON line of `--json`. */
  printJson(document: Readonly<Record<string, unknown>>): void {
    this.io.stdout(`${JSON.stringify(document)}\n`);
  }

  /** Prints the check's result: the report for a person, or one JSON line with `--json`. */
  print(result: SetupCheckResult, extra: Record<string, unknown>): void {
    if (this.options.json === true) {
      this.io.stdout(`${JSON.stringify({ ...extra, ...result })}\n`);
    } else {
      this.io.stdout(`${formatSetupReport(result).join('\n')}\n`);
    }
  }
}
