import {
  CONFIG_VARIABLES,
  type ConfigVariable,
  type ConfigVariableName,
} from '../lambda/config.js';

type Variables = typeof CONFIG_VARIABLES;

/** The variables a deployment sets as `tuning.<key>` (and context key `<key>`). */
export type TuningVariableName = {
  [N in ConfigVariableName]: Variables[N]['deploy'] extends { tuning: string } ? N : never;
}[ConfigVariableName];

type TuningKeyOf<N extends TuningVariableName> = Extract<
  Variables[N]['deploy'],
  { tuning: string }
>['tuning'];

/** A tuning prop name, which is also its CDK context key. */
export type TuningKey = TuningKeyOf<TuningVariableName>;

/**
 * Tuning of the function, derived from lambda/config-variables.ts's `CONFIG_VARIABLES`: each key sets one
 * environment variable (docs/configuration.md lists them with bounds and defaults). Unset keys
 * leave the variable unset, so the function's own defaults stay the single source of truth.
 */
export type BrokerTuning = {
  readonly [N in TuningVariableName as TuningKeyOf<N>]?:
    | (Variables[N]['kind'] extends 'integer' ? number : string)
    | undefined;
};

/** One tuning entry of the table. */
export interface TuningVariable {
  readonly name: TuningVariableName;
  readonly key: TuningKey;
  readonly variable: ConfigVariable;
}

/** The tuning entries of the table, in its order. */
export const TUNING_VARIABLES: readonly TuningVariable[] = Object.entries(CONFIG_VARIABLES).flatMap(
  ([name, variable]) =>
    'tuning' in variable.deploy
      ? [
          {
            name: name as TuningVariableName,
            key: variable.deploy.tuning as TuningKey,
            variable: variable as ConfigVariable,
          },
        ]
      : [],
);

/** What the construct itself decides about the function's environment. */
export interface BrokerEnvironmentNames {
  /** `BOX_CREDENTIALS_SECRET`; undefined = tenants only. */
  readonly secretId?: string | undefined;
  /** `BOX_TENANT_SECRET_PREFIX`; undefined = no tenants. */
  readonly tenantSecretPrefix?: string | undefined;
  /** `BOX_API_ENTRY_SECRET`: the secret holding the `api` entry's key. */
  readonly apiEntrySecretId?: string | undefined;
  /** `BOX_ACCESS_POLICY_FILE`; undefined = the function's default policy. */
  readonly accessPolicyFile?: string | undefined;
  /** `BOX_EVENT_BUS`: where tenant health events go; undefined = no events. */
  readonly eventBus?: string | undefined;
  /** `BOX_SETUP_CHECK_INTERVAL_SECONDS`: the canary schedule's interval; undefined = no canary. */
  readonly setupCheckIntervalSeconds?: number | undefined;
  /** `BOX_STATE_TABLE` and `BOX_STATE_KMS_KEY`; undefined = fleet state off. */
  readonly fleetState?: { readonly table: string; readonly kmsKey: string } | undefined;
  readonly serviceName: string;
  readonly metricsNamespace: string;
}

/** The environment of the broker function: the construct's own values plus the tuning. */
export function brokerEnvironment(
  tuning: BrokerTuning,
  names: BrokerEnvironmentNames,
): Record<string, string> {
  const env: Record<string, string> = {
    POWERTOOLS_SERVICE_NAME: names.serviceName,
    POWERTOOLS_METRICS_NAMESPACE: names.metricsNamespace,
    // Stack traces point into the TypeScript sources instead of the minified bundle.
    NODE_OPTIONS: '--enable-source-maps',
  };
  if (names.secretId !== undefined) env.BOX_CREDENTIALS_SECRET = names.secretId;
  if (names.tenantSecretPrefix !== undefined) {
    env.BOX_TENANT_SECRET_PREFIX = names.tenantSecretPrefix;
  }
  if (names.apiEntrySecretId !== undefined) env.BOX_API_ENTRY_SECRET = names.apiEntrySecretId;
  if (names.accessPolicyFile !== undefined) env.BOX_ACCESS_POLICY_FILE = names.accessPolicyFile;
  if (names.eventBus !== undefined) env.BOX_EVENT_BUS = names.eventBus;
  if (names.fleetState !== undefined) {
    env.BOX_STATE_TABLE = names.fleetState.table;
    env.BOX_STATE_KMS_KEY = names.fleetState.kmsKey;
  }
  if (names.setupCheckIntervalSeconds !== undefined) {
    env.BOX_SETUP_CHECK_INTERVAL_SECONDS = String(names.setupCheckIntervalSeconds);
  }
  const values: Readonly<Record<string, string | number | undefined>> = tuning;
  for (const { name, key } of TUNING_VARIABLES) {
    const value = values[key];
    if (value !== undefined) env[name] = String(value);
  }
  return env;
}

/** The context key (= tuning prop) that sets a variable, if a tuning variable. */
export function tuningKeyOf(name: string): TuningKey | undefined {
  return TUNING_VARIABLES.find((entry) => entry.name === name)?.key;
}
