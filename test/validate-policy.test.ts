import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  jsonSyntaxError,
  main,
  validatePolicyFile,
  validatePolicyText,
} from '../local/validate-policy.js';

const EXAMPLE = 'examples/access-policy.json';
let dir = '';

function policyFile(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

function run(args: string[]): { code: number; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const code = main(args, { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, out, err };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'validate-policy-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('Function: validatePolicyFile', () => {
  it('summarises a valid policy', () => {
    // Act
    const report = validatePolicyFile(EXAMPLE);

    // Assess
    expect(report.ok).toBe(true);
    expect(report.errors).toEqual([]);
    expect(report.warnings).toEqual([]);
    expect(report.summary?.rules).toBe(7);
    expect(report.summary?.tenants).toEqual(['acme', 'acme-*', 'default']);
    expect(report.summary?.ruleIds[0]).toBe('reports-etl');
    expect(report.summary?.principals.orgIds).toEqual(['o-a1b2c3d4e5']);
  });

  it('returns every error with its path when the policy is invalid', () => {
    // Prepare
    const path = policyFile('bad.json', {
      version: 2,
      rules: [
        { id: 'a', callers: ['arn:aws:iam::12:role/x'], subjects: ['enterprise'] },
        { id: 'a', callers: ['*'], subjects: ['enterprise'], scopes: ['item_destroy'] },
      ],
    });

    // Act
    const report = validatePolicyFile(path);

    // Assess
    expect(report.ok).toBe(false);
    expect(report.summary).toBeUndefined();
    expect(report.errors.map((error) => error.path)).toEqual([
      '$.version',
      '$.rules[0].callers[0]',
      '$.rules[1].scopes[0]',
      '$.rules[1].id',
    ]);
  });

  it('reports an unreadable file at $ without throwing', () => {
    const report = validatePolicyFile(join(dir, 'missing.json'));
    expect(report.ok).toBe(false);
    expect(report.errors).toEqual([
      { path: '$', message: `cannot read ${join(dir, 'missing.json')} (ENOENT)` },
    ]);
  });

  it('reports text that is not JSON at $', () => {
    const report = validatePolicyText('{ version: 1 }');
    expect(report.ok).toBe(false);
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0]?.path).toBe('$');
  });

  it('gives a JSON syntax error its line and column, whatever the Node version says', () => {
    const text = '{\n  "version": 1,\n  "rules": [ { "id": "a", } ]\n}\n';
    expect(validatePolicyText(text).errors).toEqual([
      {
        path: '$',
        message: 'not valid JSON at line 3, column 27: Expected double-quoted property name',
      },
    ]);
    expect(jsonSyntaxError('{"version": 1')?.message).toMatch(
      /^not valid JSON at line 1, column 14: /,
    );
    expect(jsonSyntaxError('{"version": 1}')).toBeUndefined();
  });

  it('warns about a role pattern with a path, which no assumed role can match', () => {
    // Prepare
    const text = JSON.stringify({
      version: 1,
      rules: [
        {
          id: 'r',
          callers: ['direct', 'arn:aws:iam::111122223333:role/team/etl-*'],
          subjects: ['enterprise'],
        },
      ],
    });

    // Act
    const report = validatePolicyText(text);

    // Assess
    expect(report.ok).toBe(true);
    expect(report.warnings.map((warning) => warning.path)).toEqual(['$.rules[0].callers[1]']);
  });
});

describe('Function: main', () => {
  it('exits 0 and prints the rules when the policy is valid', () => {
    const { code, out, err } = run([EXAMPLE]);
    expect(code).toBe(0);
    expect(out[0]).toBe(
      `${EXAMPLE}: valid access policy (version 1), 7 rules: reports-etl, hr-onboarding, vendor-acme-uploads, platform-admins, org-previews, customer-sync, step-functions`,
    );
    expect(out.join('\n')).toContain('organizations: o-a1b2c3d4e5');
    expect(out.join('\n')).toContain('tenants: acme, acme-*, default');
    expect(err).toEqual([]);
  });

  it('exits 1 and prints one path: message line per error', () => {
    // Prepare
    const path = policyFile('two-errors.json', {
      version: 1,
      rules: [{ id: 'x', callers: ['arn:aws:s3:::bucket'], subjects: ['user:abc'] }],
    });

    // Act
    const { code, out, err } = run([path]);

    // Assess
    expect(code).toBe(1);
    expect(out).toEqual([]);
    expect(err[0]).toBe(`${path}: invalid access policy (2 errors)`);
    expect(err.slice(1)).toEqual([
      expect.stringMatching(
        /^\$\.rules\[0\]\.callers\[0\]: .*service must be iam.* \(got "arn:aws:s3:::bucket"\)$/,
      ),
      expect.stringMatching(/^\$\.rules\[0\]\.subjects\[0\]: expected .* \(got "user:abc"\)$/),
    ]);
  });

  it.each([[[]], [['a.json', 'b.json']]])('exits 2 with usage when given %j', (args) => {
    const { code, err } = run(args);
    expect(code).toBe(2);
    expect(err).toEqual(['usage: validate-policy FILE']);
  });
});

describe('CLI: tsx local/validate-policy.ts FILE', () => {
  const cli = (file: string) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'local/validate-policy.ts', file], {
      encoding: 'utf8',
    });

  it('exits 0 for the example and 1 for a broken policy', () => {
    const good = cli(EXAMPLE);
    expect(good.status).toBe(0);
    expect(good.stdout).toContain('valid access policy');

    const bad = cli(policyFile('cli-bad.json', '{"version":1,"rules":[]}'));
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('$.rules: must be a non-empty array of rules');
  });
});
