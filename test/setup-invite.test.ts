/**
 * `box-token-broker tenant invite` / `--revoke` and the pending invitations of `tenant list`
 * (contract v1.3), in-process against the in-memory invitation store.
 */
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { inviteCodeHash } from '../lambda/onboard/invite-code.js';
import { MemoryInvitationStore } from '../lambda/state/memory-invitation-store.js';
import { MemoryFleetControls } from '../lambda/state/memory-stores.js';
import { runSetup } from './support/setup-cli.js';

const NOW = Date.UTC(2026, 10, 30, 9, 0, 0);
const URL = 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod';
const sm = mockClient(SecretsManagerClient);
let store: MemoryInvitationStore;

beforeEach(() => {
  sm.reset();
  store = new MemoryInvitationStore(() => NOW);
});

/** The table name only selects the store the test injects. */
const TABLE_ENV = { BOX_STATE_TABLE: 'box-token-broker-state' };

const invite = (args: string[]) =>
  runSetup(['tenant', 'invite', ...args], { invitations: store, env: TABLE_ENV });

describe('box-token-broker tenant invite', () => {
  it('stores only the code’s hash and prints the link with the code in the fragment', async () => {
    const run = await invite(['acme', '--url', URL, '--json', '--added-by', 'vendor-ops']);

    expect(run.code).toBe(0);
    const printed = JSON.parse(run.stdout) as { tenant: string; url: string; expires_at: string };
    expect(Object.keys(printed).sort()).toEqual(['expires_at', 'tenant', 'url']);
    expect(printed.tenant).toBe('acme');
    expect(printed.expires_at).toBe(new Date(NOW + 72 * 3_600_000).toISOString());
    const code = /\/prod\/onboard#([A-Za-z0-9_-]{43})$/.exec(printed.url)?.[1] ?? '';
    expect(code).not.toBe('');
    const [pending] = await store.listPending(NOW);
    expect(pending).toEqual({
      tenant: 'acme',
      codeSha256: inviteCodeHash(code),
      expiresAtMs: NOW + 72 * 3_600_000,
      requiredScopes: [],
      invitedBy: 'vendor-ops',
      createdAtMs: NOW,
    });
    expect(JSON.stringify(pending)).not.toContain(code);
  });

  it('takes --expires hours and --require scopes (aliases resolved)', async () => {
    const run = await invite([
      'acme',
      '--url',
      `${URL}/`,
      '--expires',
      '168',
      '--require',
      'read_all_files',
      '--require',
      'manage_groups',
    ]);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`${URL}/onboard#`);
    expect(run.stdout).toContain('(168 h)');
    const [pending] = await store.listPending(NOW);
    expect(pending?.requiredScopes).toEqual(['root_readonly', 'manage_groups']);
    expect(pending?.expiresAtMs).toBe(NOW + 168 * 3_600_000);
  });

  it.each([
    [['acme'], /--url/],
    [['acme', '--url', URL, '--expires', '169'], /--expires must be 1 to 168/],
    [['acme', '--url', URL, '--expires', '0'], /--expires/],
    [['acme', '--url', 'ftp://host'], /--url must be/],
    [['acme', '--url', `${URL}?x=1`], /--url must be/],
    [
      ['acme', '--url', 'http://broker.example.com/prod'],
      /https base URL \(http only for localhost\)/,
    ],
    [['acme', '--url', URL, '--require', 'everything'], /unknown Box scope/],
    [['Not_A_Tenant', '--url', URL], /tenant ID/],
    [['default', '--url', URL], /reserved/],
  ])('refuses %j with a usage error', async (args, message) => {
    const run = await invite(args);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(await store.listPending(NOW)).toEqual([]);
  });

  it('says what to set without a table', async () => {
    const run = await runSetup(['tenant', 'invite', 'acme', '--url', URL]);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('BOX_STATE_TABLE');
  });

  it('withdraws a tenant’s pending invitations with --revoke', async () => {
    await invite(['acme', '--url', URL]);
    await invite(['acme', '--url', URL]);
    await invite(['globex', '--url', URL]);

    const run = await invite(['--revoke', 'acme', '--json']);

    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ tenant: 'acme', revoked: 2 });
    expect((await store.listPending(NOW)).map((i) => i.tenant)).toEqual(['globex']);
  });
});

describe('box-token-broker tenant list (pending invitations)', () => {
  it('still lists the pending invitations when Secrets Manager cannot be listed (local mode)', async () => {
    const offline = Object.assign(
      new Error('getaddrinfo ENOTFOUND secretsmanager.us-east-1.amazonaws.com'),
      { code: 'ENOTFOUND' },
    );
    sm.on(ListSecretsCommand).rejects(offline);
    await invite(['acme', '--url', URL, '--added-by', 'vendor-ops']);

    const text = await runSetup(['tenant', 'list'], {
      invitations: store,
      fleetControls: new MemoryFleetControls(() => NOW),
      env: TABLE_ENV,
      secretsManager: new SecretsManagerClient({}),
    });

    expect(text.code).toBe(5);
    expect(text.stdout).toContain(
      'acme\tinvited, pending until 2026-12-03T09:00:00.000Z\tinvited by: vendor-ops',
    );
    expect(text.stderr).toContain('listing tenants failed');
  });

  it('lists the pending invitations after the tenants', async () => {
    sm.on(ListSecretsCommand).resolves({ SecretList: [] });
    await invite(['acme', '--url', URL, '--added-by', 'vendor-ops', '--require', 'root_readonly']);

    const text = await runSetup(['tenant', 'list'], {
      invitations: store,
      fleetControls: new MemoryFleetControls(() => NOW),
      env: TABLE_ENV,
      secretsManager: new SecretsManagerClient({}),
    });
    const json = await runSetup(['tenant', 'list', '--json'], {
      invitations: store,
      fleetControls: new MemoryFleetControls(() => NOW),
      env: TABLE_ENV,
      secretsManager: new SecretsManagerClient({}),
    });

    expect(text.stderr).toBe('');
    expect(text.stdout).toContain(
      'acme\tinvited, pending until 2026-12-03T09:00:00.000Z\tinvited by: vendor-ops',
    );
    expect(JSON.parse(json.stdout)).toMatchObject({
      tenants: [],
      invitations: [
        {
          tenant: 'acme',
          expires_at: '2026-12-03T09:00:00.000Z',
          required_scopes: ['root_readonly'],
          invited_by: 'vendor-ops',
        },
      ],
    });
    expect(json.stdout).not.toMatch(/codeSha256|[0-9a-f]{64}/);
  });
});
