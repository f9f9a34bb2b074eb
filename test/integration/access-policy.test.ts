import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ETL_ROLE_CALLER, type Harness, useHarness } from '../support/harness.js';

const POLICY = {
  version: 1,
  rules: [
    {
      id: 'reports-etl',
      callers: ['arn:aws:iam::111122223333:role/etl-*'],
      subjects: ['enterprise', 'user:12345'],
      scopes: ['item_preview', 'item_download'],
      resources: ['folder:123', 'file:456'],
    },
    {
      id: 'support-tool',
      callers: ['arn:aws:iam::444455556666:role/support'],
      subjects: ['user:*'],
    },
    {
      id: 'step-functions',
      callers: ['direct'],
      subjects: ['enterprise'],
      scopes: ['item_upload'],
    },
  ],
};

const SUPPORT_CALLER = {
  userArn: 'arn:aws:sts::444455556666:assumed-role/support/alice',
  accountId: '444455556666',
  principalOrgId: 'o-a1b2c3d4e5',
};
const EVIL_CALLER = {
  userArn: 'arn:aws:sts::111122223333:assumed-role/etl-prod-evil-twin/x',
  accountId: '111122223333',
  principalOrgId: 'o-a1b2c3d4e5',
};

const startHarness = useHarness();
function open(policy: unknown = POLICY): Promise<Harness> {
  return startHarness({
    env: { BOX_ACCESS_POLICY: JSON.stringify(policy) },
    simulator: { allowUserSubjects: true },
  });
}

const audit = (h: Harness) => JSON.parse(h.logLines.at(-1) ?? '{}') as Record<string, unknown>;

describe('Access policy through the handler', () => {
  it('gives an allowed caller a user-subject token (200) and audits the decision', async () => {
    const h = await open();

    const answer = await h.api('POST', '/token', {
      caller: SUPPORT_CALLER,
      body: JSON.stringify({ box_subject_type: 'user', box_subject_id: '777' }),
    });

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ box_subject_type: 'user', box_subject_id: '777' });
    const ccg = h.simulator.requests.at(-1)?.form;
    expect(ccg).toMatchObject({ box_subject_type: 'user', box_subject_id: '777' });
    expect(audit(h)).toMatchObject({
      request_id: expect.any(String),
      caller_arn: SUPPORT_CALLER.userArn,
      caller_account: '444455556666',
      caller_org: 'o-a1b2c3d4e5',
      rule_id: 'support-tool',
      decision: 'allow',
      subject: 'user:777',
      scopes: '',
      cache_hit: false,
      secret_version_id: 'v1',
      token_sha256: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    expect(h.logLines.join('\n')).not.toContain(String(answer.body.access_token));
  });

  it('denies a look-alike role with 403, no Box call and no secret read, naming what was refused', async () => {
    const h = await open();

    const answer = await h.api('GET', '/token', {
      caller: EVIL_CALLER,
      query: { scope: 'item_preview' },
    });

    expect(answer.status).toBe(403);
    expect(answer.body.error).toBe('access_denied');
    expect(String(answer.body.error_description)).not.toContain('reports-etl');
    expect(h.simulator.requests).toHaveLength(0);
    expect(audit(h)).toMatchObject({
      decision: 'deny',
      reason: expect.any(String),
      caller_arn: EVIL_CALLER.userArn,
    });
    expect(audit(h).AccessDenied).toBe(1);
  });

  it('denies a scope beyond the ceiling, naming the scope', async () => {
    const h = await open();
    const answer = await h.api('POST', '/token', {
      caller: ETL_ROLE_CALLER,
      body: JSON.stringify({
        scope: 'item_delete',
        resource: 'https://api.box.com/2.0/folders/123',
      }),
    });
    expect(answer.status).toBe(403);
    expect(answer.body.error_description).toContain('item_delete');
    expect(audit(h)).toMatchObject({ decision: 'deny', rule_id: 'reports-etl' });
  });

  it('never widens: a rule that pins resources refuses an unscoped, item-less request', async () => {
    const h = await open();

    const answer = await h.api('POST', '/token', {
      caller: ETL_ROLE_CALLER,
      body: JSON.stringify({ box_subject_type: 'enterprise' }),
    });

    expect(answer.status).toBe(403);
    expect(h.simulator.requests).toHaveLength(0);
    // Named scopes within the ceiling, on an item the rule lists, are served downscoped.
    const narrowed = await h.api('GET', '/token', {
      caller: ETL_ROLE_CALLER,
      query: { scope: 'item_preview item_download', resource: 'https://api.box.com/2.0/files/456' },
    });
    expect(narrowed.status).toBe(200);
    expect(narrowed.body.issued_token_type).toBeDefined();
  });

  it('narrows a direct invocation to its rule ceiling (scope-only rule)', async () => {
    const h = await open();

    const { result, error } = await h.invoke({});

    expect(error).toBeUndefined();
    expect(result).toMatchObject({ issued_token_type: expect.any(String) });
    const exchange = h.simulator.requests.find((r) =>
      r.form.grant_type?.includes('token-exchange'),
    );
    expect(exchange?.form.scope).toBe('item_upload');
    expect(audit(h)).toMatchObject({
      caller_kind: 'direct',
      rule_id: 'step-functions',
      scopes: 'item_upload',
    });
  });

  it('passes Box real error through when the Box app cannot mint user tokens', async () => {
    const h = await open();
    h.simulator.setAllowUserSubjects(false);
    const answer = await h.api('POST', '/token', {
      caller: SUPPORT_CALLER,
      body: JSON.stringify({ box_subject_type: 'user', box_subject_id: '777' }),
    });
    expect(answer.status).toBe(502);
    expect(answer.body.error).toBe('box_credentials_rejected');
    expect(answer.body.error_description).toContain('invalid_grant');
    expect(answer.body.error_description).toContain('Generate user access tokens');
  });

  it('reads the policy from BOX_ACCESS_POLICY_FILE', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'policy-'));
    const file = join(dir, 'access-policy.json');
    writeFileSync(file, JSON.stringify(POLICY));
    const h = await startHarness({ env: { BOX_ACCESS_POLICY_FILE: file } });
    const denied = await h.api('GET', '/token', { caller: EVIL_CALLER });
    expect(denied.status).toBe(403);
  });

  it('tells callers the path and kind of a policy error, and only the operator log the value', async () => {
    // Another principal's ARN, miswritten: it must not reach whoever happens to call.
    const secretArn = 'arn:aws:iam::999988887777:role/payroll-admin:x';
    const h = await open({
      version: 1,
      rules: [
        { id: 'ok', callers: ['direct'], subjects: ['enterprise'] },
        { id: 'payroll', callers: ['*', secretArn], subjects: ['enterprise'], tenants: ['Acme'] },
      ],
    });

    const answer = await h.api('GET', '/token');
    const direct = await h.invoke({});

    expect(answer.status).toBe(500);
    expect(answer.body.error).toBe('misconfigured');
    expect(answer.body.error_description).toContain('$.rules[1].callers[1]: ');
    expect(answer.body.error_description).toContain('$.rules[1].tenants[0]: expected a tenant ID');
    expect(JSON.stringify(answer.body)).not.toContain('999988887777');
    expect(JSON.stringify(answer.body)).not.toContain('Acme');
    expect(JSON.stringify(direct)).not.toContain('999988887777');
    const failure = audit(h).failure as { name: string; message: string };
    expect(failure.name).toBe('PolicyValidationError');
    expect(failure.message).toContain(`$.rules[1].callers[1]: `);
    expect(failure.message).toContain(JSON.stringify(secretArn));
  });

  it('answers misconfigured naming the JSON path when the policy is invalid', async () => {
    const h = await open({
      version: 1,
      rules: [{ id: 'x', callers: ['arn:aws:iam::12:role/x'], subjects: ['enterprise'] }],
    });
    const answer = await h.api('GET', '/token');
    expect(answer.status).toBe(500);
    expect(answer.body.error).toBe('misconfigured');
    expect(answer.body.error_description).toContain('BOX_ACCESS_POLICY');
    expect(answer.body.error_description).toContain('$.rules[0].callers[0]');
  });
});
