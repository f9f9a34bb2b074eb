import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../client/cli-run.js';
import { CLIENT_ERROR_CODES } from '../client/errors.js';
import { CLIENT_VERSION, USER_AGENT } from '../client/version.js';
import { ERROR_CODES, ROUTES, TENANT_ID_PATTERN } from '../lambda/contract.js';

const ROOT = resolve(import.meta.dirname, '..');
const read = (path: string) => readFileSync(resolve(ROOT, path), 'utf8');

interface AslState {
  Type: string;
  Resource?: string;
  Retry?: { ErrorEquals: string[] }[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  Next?: string;
}

describe('Example: examples/callers', () => {
  it('names only contract codes and Step Functions / Lambda errors in Retry and Catch', () => {
    // Prepare
    const machine = JSON.parse(read('examples/callers/get-box-token.asl.json')) as {
      StartAt: string;
      States: Record<string, AslState>;
    };
    const task = machine.States[machine.StartAt];

    // Act
    const names = [...(task?.Retry ?? []), ...(task?.Catch ?? [])].flatMap((r) => r.ErrorEquals);

    // Assess
    expect(task?.Resource).toBe('arn:aws:states:::lambda:invoke');
    for (const name of names) {
      const known = Object.hasOwn(ERROR_CODES, name) || /^(States|Lambda)\.[A-Za-z]+$/.test(name);
      expect(known, name).toBe(true);
    }
    const retried = task?.Retry?.flatMap((r) => r.ErrorEquals) ?? [];
    for (const [code, { retryable }] of Object.entries(ERROR_CODES)) {
      if (retryable) expect(retried, code).toContain(code);
      else expect(retried, code).not.toContain(code);
    }
    for (const target of task?.Catch?.map((c) => c.Next) ?? []) {
      expect(machine.States[target], target).toBeDefined();
    }
  });

  it('grants execute-api:Invoke on exactly the broker routes', () => {
    const policy = JSON.parse(read('examples/callers/caller-policy.json')) as {
      Statement: { Action: string; Resource: string[] }[];
    };
    const statement = policy.Statement[0];
    expect(statement?.Action).toBe('execute-api:Invoke');
    const routes = statement?.Resource.map((arn) =>
      arn.replace(/^arn:aws:execute-api:[a-z0-9-]+:\d{12}:[a-z0-9]+\/prod\/(GET|POST)/, ''),
    );
    expect(new Set(routes)).toEqual(new Set(Object.values(ROUTES)));
  });

  it('documents every exit code and every client error code in docs/callers.md', () => {
    const docs = read('docs/callers.md');
    for (const code of Object.values(EXIT_CODES)) expect(docs).toContain(`| ${code} |`);
    for (const code of Object.keys(CLIENT_ERROR_CODES)) expect(docs).toContain(`\`${code}\``);
  });
});

describe('Caller packages: versions and contract codes agree', () => {
  it('reports one version in the npm package, its User-Agent, the Python package and its module', () => {
    const npmVersion = (JSON.parse(read('client/package.json')) as { version: string }).version;
    const pyproject = /^version = "([^"]+)"$/m.exec(read('examples/python/pyproject.toml'))?.[1];
    const module = /^__version__ = "([^"]+)"$/m.exec(
      read('examples/python/box_token_broker.py'),
    )?.[1];
    expect(CLIENT_VERSION).toBe(npmVersion);
    expect(USER_AGENT).toMatch(new RegExp(`^box-token-broker-client/${npmVersion} `));
    expect(pyproject).toBe(npmVersion);
    expect(module).toBe(npmVersion);
    expect(read('CHANGELOG.md')).toContain(`## ${npmVersion}`);
  });

  it('the Python client knows every contract error code and the tenant pattern', () => {
    const source = read('examples/python/box_token_broker.py');
    for (const code of Object.keys(ERROR_CODES)) expect(source, code).toContain(`"${code}":`);
    expect(source).toContain(TENANT_ID_PATTERN.source.replace(/\$$/, '\\Z'));
  });
});
