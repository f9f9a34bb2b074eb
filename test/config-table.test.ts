import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { brokerEnvironment, TUNING_VARIABLES } from '../infra/broker-environment.js';
import { CONFIGURATION_DOC, withGeneratedTable } from '../infra/configuration-doc.js';
import { CONTEXT_KEYS, readContext } from '../infra/context.js';
import {
  CONFIG_VARIABLES,
  type ConfigVariable,
  ConfigVariableError,
  loadConfig,
} from '../lambda/config.js';

const SECRET = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:box-AbCdEf';
const ENTRIES = Object.entries(CONFIG_VARIABLES) as [
  keyof typeof CONFIG_VARIABLES,
  ConfigVariable,
][];

describe('Table: CONFIG_VARIABLES', () => {
  it('is what docs/configuration.md shows (npm run docs:config regenerates it)', () => {
    const committed = readFileSync(CONFIGURATION_DOC, 'utf8');
    expect(withGeneratedTable(committed)).toBe(committed);
  });

  it('gives the parser its defaults: an environment with only a secret loads them', () => {
    const config = loadConfig({ BOX_CREDENTIALS_SECRET: SECRET });
    expect(config.secretTtlMs).toBe(CONFIG_VARIABLES.BOX_SECRET_TTL_SECONDS.default * 1000);
    expect(config.boxMaxAttempts).toBe(CONFIG_VARIABLES.BOX_MAX_ATTEMPTS.default);
    expect(config.boxApiUrl).toBe(CONFIG_VARIABLES.BOX_API_URL.default);
    expect(config.serviceName).toBe(CONFIG_VARIABLES.POWERTOOLS_SERVICE_NAME.default);
  });

  it.each(ENTRIES.filter(([, variable]) => variable.kind === 'integer'))(
    'gives the parser the bounds of %s, and its errors name the variable',
    (name, variable) => {
      // The retry budget must hold one attempt: give the longest attempt room.
      const base = { BOX_CREDENTIALS_SECRET: SECRET, BOX_RETRY_BUDGET_MS: '25000' };
      const min = name === 'BOX_RETRY_BUDGET_MS' ? 4000 : (variable.min ?? 0);
      for (const ok of [min, variable.max ?? 0]) {
        expect(() => loadConfig({ ...base, [name]: String(ok) })).not.toThrow();
      }
      for (const bad of [min - 1, (variable.max ?? 0) + 1]) {
        if (bad < 0) continue;
        let caught: unknown;
        try {
          loadConfig({ ...base, [name]: String(bad) });
        } catch (error) {
          caught = error;
        }
        expect(caught).toBeInstanceOf(ConfigVariableError);
        expect((caught as ConfigVariableError).variables).toEqual([name]);
        expect((caught as Error).message).toContain(name);
      }
    },
  );

  it('has a context key for every tuning variable and every key the table names', () => {
    const keys = new Set<string>(CONTEXT_KEYS);
    for (const [, variable] of ENTRIES) {
      const named =
        'tuning' in variable.deploy ? [variable.deploy.tuning] : variable.deploy.contextKeys;
      for (const key of named) expect(keys, key).toContain(key);
    }
  });

  it('maps every tuning context key to its variable in the construct environment', () => {
    // Arrange: every tuning key at a value the function accepts, as `-c key=value` strings.
    const context: Record<string, string> = {};
    for (const { key, variable } of TUNING_VARIABLES) {
      context[key] =
        variable.kind === 'integer'
          ? String(variable.max)
          : variable.kind === 'tenant-list'
            ? 'acme,globex'
            : 'https://box.example.com';
    }

    // Act
    const tuning = readContext((key) => context[key]).broker.tuning ?? {};
    const env = brokerEnvironment(tuning, { serviceName: 's', metricsNamespace: 'n' });

    // Assess: each variable carries the value of its own key.
    for (const { name, key } of TUNING_VARIABLES) expect(env[name], name).toBe(context[key]);
  });
});
