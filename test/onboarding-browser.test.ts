/**
 * The onboarding page in a real browser (Debian's Chromium driven by playwright-core) against the
 * local broker with its Box simulator: fields found by their labels, a wrong secret fails the
 * credentials row and stores nothing, the right values connect and the tenant then gets a token,
 * a used link is refused, the secret never stays in the page, keyboard-only use works, and the
 * page loads nothing from anywhere else and breaks none of its own CSP.
 *
 * Without Chromium the tests skip locally; in CI (`CI=true`, or `BOX_BROWSER_TESTS_REQUIRED=1`
 * as `.ci/run` sets it) they fail instead (`.ci/run` installs it).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { inviteCodeHash, newInviteCode } from '../lambda/onboard/invite-code.js';
import { buildStateTable } from '../lambda/state/fleet-state.js';
import { MemoryInvitationStore } from '../lambda/state/memory-invitation-store.js';
import { TableInvitationStore } from '../lambda/state/table-invitations.js';
import { LOCAL_CUSTOMER_APP, type LocalBroker, startLocalBroker } from '../local/local-broker.js';
import { runSetupCli } from '../local/setup/cli.js';
import { LOCAL_AWS, type LocalFleetState, startLocalFleetState } from '../local/state/index.js';

const CHROMIUM = process.env.BOX_CHROMIUM ?? '/usr/bin/chromium';
/** Set to a folder to refresh docs/images/onboarding-*.png (docs/onboarding.md) from these runs. */
const SCREENSHOTS = process.env.ONBOARDING_SCREENSHOTS_DIR;
const available = existsSync(CHROMIUM);
const required = process.env.CI === 'true' || process.env.BOX_BROWSER_TESTS_REQUIRED === '1';

describe('Onboarding page: browser prerequisites', () => {
  it.runIf(required)('has Chromium in CI', () => {
    expect(available, `${CHROMIUM} is missing: apt-get install -y chromium`).toBe(true);
  });
});

describe.runIf(available)('Onboarding page in Chromium', () => {
  let profile: string;
  let context: BrowserContext;
  let broker: LocalBroker;
  let invitations: MemoryInvitationStore;
  let page: Page;
  const problems: string[] = [];
  const lines: string[] = [];

  beforeAll(async () => {
    profile = mkdtempSync(join(tmpdir(), 'box-token-broker-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await context?.close();
    rmSync(profile, { recursive: true, force: true });
  });

  beforeEach(async () => {
    invitations = new MemoryInvitationStore();
    broker = await startLocalBroker({
      port: 0,
      env: { BOX_TENANT_SECRET_PREFIX: 'box-token-broker/tenants/' },
      sink: (line) => lines.push(line),
      invitations,
    });
    page = await context.newPage();
    problems.length = 0;
    lines.length = 0;
    // Anything the page loads from elsewhere, and any CSP violation, is a failure.
    page.on('request', (request) => {
      if (!request.url().startsWith(broker.url)) problems.push(`request to ${request.url()}`);
    });
    page.on('console', (message) => {
      // A 4xx answer the page handles (a used link) is logged as a failed load; anything else,
      // a CSP violation above all, is a failure.
      const handled = /^Failed to load resource: the server responded with a status of 4\d\d/;
      if (message.type() === 'error' && !handled.test(message.text())) {
        problems.push(`console: ${message.text()}`);
      }
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  });

  afterEach(async () => {
    await page?.close();
    await broker?.close();
    expect(problems).toEqual([]);
  });

  async function invite(tenant = 'acme', requiredScopes: string[] = []): Promise<string> {
    const code = newInviteCode();
    await invitations.create({
      tenant,
      codeSha256: inviteCodeHash(code),
      expiresAtMs: Date.now() + 3_600_000,
      requiredScopes,
      invitedBy: 'vendor',
      createdAtMs: Date.now(),
    });
    return `${broker.url}/onboard#${code}`;
  }

  async function fill(secret: string = LOCAL_CUSTOMER_APP.clientSecret): Promise<void> {
    await page.getByLabel('Client ID', { exact: true }).fill(LOCAL_CUSTOMER_APP.clientId);
    await page.getByLabel('Client Secret', { exact: true }).fill(secret);
    await page.getByLabel('Enterprise ID', { exact: true }).fill(LOCAL_CUSTOMER_APP.enterpriseId);
  }

  const outcome = () => page.locator('#result[data-outcome]');

  async function shot(target: Page, name: string): Promise<void> {
    if (SCREENSHOTS === undefined) return;
    await target.setViewportSize({ width: 900, height: 1000 });
    await target.screenshot({ path: join(SCREENSHOTS, `onboarding-${name}.png`), fullPage: true });
  }

  it('fails the credentials row for a wrong secret, with the fix, and stores nothing', async () => {
    await page.goto(await invite());
    await fill('wrong-secret-W0RNG');
    await page.getByRole('button', { name: 'Check and connect' }).click();

    await expect.poll(() => outcome().getAttribute('data-outcome')).toBe('fail');
    const row = page.locator('li[data-step="credentials"]');
    expect(await row.getAttribute('data-status')).toBe('fail');
    expect(await row.textContent()).toContain('The client ID and client secret are right');
    expect(await row.locator('.fix').textContent()).toContain('Fetch Client Secret');
    await shot(page, 'failed');
    expect(await page.locator('li[data-status]').count()).toBeGreaterThan(1);
    expect(broker.tenantSecrets?.has('acme')).toBe(false);
    // Focus moves to the result, and the form stays for another try.
    expect(await page.evaluate<string | undefined>('document.activeElement?.id')).toBe(
      'result-heading',
    );
    expect(await page.getByLabel('Client ID', { exact: true }).isVisible()).toBe(true);
  });

  it('connects with the right values; the tenant then gets a token; the link is then refused', async () => {
    const link = await invite();
    await page.goto(link);
    await fill();
    await page.getByRole('button', { name: 'Check and connect' }).click();

    await expect.poll(() => outcome().getAttribute('data-outcome')).toBe('pass');
    expect(await page.locator('#result-heading').textContent()).toBe('Connected');
    await shot(page, 'connected');
    expect(await page.locator('#result-summary').textContent()).toContain('acme');
    expect(await page.locator('li[data-status="fail"]').count()).toBe(0);
    const token = await fetch(`${broker.url}/token?tenant=acme`);
    expect(token.status).toBe(200);

    const again = await context.newPage();
    await again.goto(link);
    await again.getByLabel('Client ID', { exact: true }).fill(LOCAL_CUSTOMER_APP.clientId);
    await again.getByLabel('Client Secret', { exact: true }).fill(LOCAL_CUSTOMER_APP.clientSecret);
    await again.getByLabel('Enterprise ID', { exact: true }).fill(LOCAL_CUSTOMER_APP.enterpriseId);
    await again.getByRole('button', { name: 'Check and connect' }).click();
    await expect
      .poll(() => again.locator('#problem').getAttribute('data-error'))
      .toBe('invitation_not_found');
    expect(await again.locator('#problem').textContent()).toContain('not valid any more');
    await shot(again, 'link-used');
    expect(await again.locator('#result').getAttribute('data-outcome')).toBeNull();
    await again.close();
  });

  it('never keeps the secret in the page', async () => {
    await page.goto(await invite());
    await fill('wrong-secret-W0RNG');
    await page.getByRole('button', { name: 'Check and connect' }).click();
    await expect.poll(() => outcome().getAttribute('data-outcome')).toBe('fail');
    await fill();
    await page.getByRole('button', { name: 'Check and connect' }).click();
    await expect.poll(() => outcome().getAttribute('data-outcome')).toBe('pass');

    const html = await page.content();
    const text = await page.evaluate<string>("document.body.textContent ?? ''");
    const values = await page.evaluate<string[]>(
      "[...document.querySelectorAll('input')].map((input) => input.value)",
    );
    for (const secret of ['wrong-secret-W0RNG', LOCAL_CUSTOMER_APP.clientSecret]) {
      expect(html).not.toContain(secret);
      expect(text).not.toContain(secret);
      expect(values).not.toContain(secret);
      expect(lines.join('\n')).not.toContain(secret);
    }
    expect(await page.getByLabel('Client Secret', { exact: true }).getAttribute('type')).toBe(
      'password',
    );
  });

  it('works with the keyboard alone', async () => {
    await page.goto(await invite());
    await shot(page, 'form');
    // Tab into the first field, type, Tab on, and submit with Enter.
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string | undefined>('document.activeElement?.id')).toBe('client-id');
    await page.keyboard.type(LOCAL_CUSTOMER_APP.clientId);
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string | undefined>('document.activeElement?.id')).toBe(
      'client-secret',
    );
    await page.keyboard.type(LOCAL_CUSTOMER_APP.clientSecret);
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string | undefined>('document.activeElement?.id')).toBe(
      'enterprise-id',
    );
    await page.keyboard.type(LOCAL_CUSTOMER_APP.enterpriseId);
    await page.keyboard.press('Enter');

    await expect.poll(() => outcome().getAttribute('data-outcome')).toBe('pass');
    expect(await page.evaluate<string | undefined>('document.activeElement?.id')).toBe(
      'result-heading',
    );
  });

  it('fails the scope row when the app lacks a scope the invitation requires', async () => {
    const app = broker.simulator?.addApp({
      clientId: 'narrow-client-id',
      clientSecret: 'narrow-client-secret',
      enterpriseId: '8888888',
      scopes: ['root_readonly'],
    });
    expect(app).toBeDefined();
    await page.goto(await invite('globex', ['root_readwrite']));
    await page.getByLabel('Client ID', { exact: true }).fill('narrow-client-id');
    await page.getByLabel('Client Secret', { exact: true }).fill('narrow-client-secret');
    await page.getByLabel('Enterprise ID', { exact: true }).fill('8888888');
    await page.getByRole('button', { name: 'Check and connect' }).click();

    await expect.poll(() => outcome().getAttribute('data-outcome')).toBe('fail');
    expect(
      await page.locator('li[data-step="scope:root_readwrite"]').getAttribute('data-status'),
    ).toBe('fail');
    expect(broker.tenantSecrets?.has('globex')).toBe(false);
  });

  it('shows inconclusive when Box does not answer, and stores nothing', async () => {
    broker.simulator?.injectFault(
      { kind: 'server_error', status: 503, clientId: LOCAL_CUSTOMER_APP.clientId },
      20,
    );
    await page.goto(await invite());
    await fill();
    await page.getByRole('button', { name: 'Check and connect' }).click();

    await expect.poll(() => outcome().getAttribute('data-outcome')).toBe('inconclusive');
    expect(await page.locator('#result-summary').textContent()).toContain('nothing was stored');
    expect(broker.tenantSecrets?.has('acme')).toBe(false);
  });

  it('says what to do when the link has no code, and submits nothing', async () => {
    await page.goto(`${broker.url}/onboard`);

    expect(await page.locator('#problem').getAttribute('data-error')).toBe('no_code');
    expect(await page.locator('#problem').isVisible()).toBe(true);
    expect(await page.getByLabel('Client ID', { exact: true }).isDisabled()).toBe(true);
  });

  /** Runs a fragment-only navigation and waits for the reload the page answers it with. */
  async function reloadedBy(navigate: () => Promise<unknown>): Promise<void> {
    const loaded = page.waitForEvent('load');
    await navigate();
    await loaded;
  }

  it('takes the code when the whole link is opened in the same tab afterwards', async () => {
    // Opening a link that differs only after `#` does not reload the page: the page must notice.
    await page.goto(`${broker.url}/onboard`);
    expect(await page.locator('#problem').getAttribute('data-error')).toBe('no_code');
    // Each fragment-only navigation reloads the page; wait for that load before the next one, or
    // the second navigation can land while the first reload is still under way.
    await reloadedBy(() => page.goto(`${broker.url}/onboard#not-the-whole-code`));
    expect(await page.locator('#problem').getAttribute('data-error')).toBe('no_code');
    const link = await invite();
    await reloadedBy(() => page.goto(link));

    await expect.poll(() => page.getByLabel('Client ID', { exact: true }).isDisabled()).toBe(false);
    expect(await page.locator('#problem').isVisible()).toBe(false);
    await fill();
    await page.getByRole('button', { name: 'Check and connect' }).click();

    await expect.poll(() => outcome().getAttribute('data-outcome')).toBe('pass');
    expect(broker.tenantSecrets?.has('acme')).toBe(true);
  });

  it('refuses an unknown code the same way as a used one', async () => {
    await page.goto(`${broker.url}/onboard#${newInviteCode()}`);
    await fill();
    await page.getByRole('button', { name: 'Check and connect' }).click();

    await expect
      .poll(() => page.locator('#problem').getAttribute('data-error'))
      .toBe('invitation_not_found');
  });
});

describe.runIf(available)(
  'Onboarding end to end: tenant invite, npm start and the page share one table',
  () => {
    let profile: string;
    let context: BrowserContext;
    let state: LocalFleetState;
    let broker: LocalBroker;
    const clients: DynamoDBClient[] = [];

    beforeAll(async () => {
      profile = mkdtempSync(join(tmpdir(), 'box-token-broker-chromium-'));
      context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run'],
      });
      state = await startLocalFleetState();
      const dynamodb = () => {
        const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: state.table.url });
        clients.push(client);
        return client;
      };
      broker = await startLocalBroker({
        port: 0,
        env: { ...state.env, BOX_TENANT_SECRET_PREFIX: 'box-token-broker/tenants/' },
        sink: () => undefined,
        stateClients: { dynamodb: dynamodb() },
      });
      invitations = (tableName: string) =>
        new TableInvitationStore({ table: buildStateTable({ tableName, dynamodb: dynamodb() }) });
    });

    afterAll(async () => {
      await context?.close();
      await broker?.close();
      for (const client of clients) client.destroy();
      await state?.close();
      rmSync(profile, { recursive: true, force: true });
    });

    let invitations: (tableName: string) => TableInvitationStore;

    async function cli(args: string[]): Promise<{ code: number; stdout: string }> {
      let stdout = '';
      const code = await runSetupCli(
        args,
        {
          stdout: (text) => {
            stdout += text;
          },
          stderr: () => undefined,
          env: { ...state.env, BOX_TENANT_ADDED_BY: 'vendor-ops' },
        },
        { secretsManager: () => undefined as never, invitations },
      );
      return { code, stdout };
    }

    it('invites with the CLI, connects in the browser, serves a token, refuses the link again', async () => {
      const invited = await cli(['tenant', 'invite', 'acme', '--url', broker.url, '--json']);
      expect(invited.code).toBe(0);
      const { url } = JSON.parse(invited.stdout) as { url: string };
      expect(url).toMatch(new RegExp(`^${broker.url}/onboard#[A-Za-z0-9_-]{43}$`));

      const page = await context.newPage();
      await page.goto(url);
      await page.getByLabel('Client ID', { exact: true }).fill(LOCAL_CUSTOMER_APP.clientId);
      await page.getByLabel('Client Secret', { exact: true }).fill(LOCAL_CUSTOMER_APP.clientSecret);
      await page.getByLabel('Enterprise ID', { exact: true }).fill(LOCAL_CUSTOMER_APP.enterpriseId);
      await page.getByRole('button', { name: 'Check and connect' }).click();
      await expect.poll(() => page.locator('#result').getAttribute('data-outcome')).toBe('pass');

      const token = await fetch(`${broker.url}/token?tenant=acme`);
      expect(token.status).toBe(200);
      expect(broker.tenantSecrets?.tagsOf('acme')?.addedBy).toBe(
        'onboarding invited by vendor-ops',
      );

      await page.reload();
      await page.getByLabel('Client ID', { exact: true }).fill(LOCAL_CUSTOMER_APP.clientId);
      await page.getByLabel('Client Secret', { exact: true }).fill(LOCAL_CUSTOMER_APP.clientSecret);
      await page.getByLabel('Enterprise ID', { exact: true }).fill(LOCAL_CUSTOMER_APP.enterpriseId);
      await page.getByRole('button', { name: 'Check and connect' }).click();
      await expect
        .poll(() => page.locator('#problem').getAttribute('data-error'))
        .toBe('invitation_not_found');
      await page.close();
    });

    it('refuses a link withdrawn with tenant invite --revoke', async () => {
      const invited = await cli(['tenant', 'invite', 'globex', '--url', broker.url, '--json']);
      const { url } = JSON.parse(invited.stdout) as { url: string };
      expect((await cli(['tenant', 'invite', '--revoke', 'globex', '--json'])).stdout).toContain(
        '"revoked":1',
      );

      const page = await context.newPage();
      await page.goto(url);
      await page.getByLabel('Client ID', { exact: true }).fill(LOCAL_CUSTOMER_APP.clientId);
      await page.getByLabel('Client Secret', { exact: true }).fill(LOCAL_CUSTOMER_APP.clientSecret);
      await page.getByLabel('Enterprise ID', { exact: true }).fill(LOCAL_CUSTOMER_APP.enterpriseId);
      await page.keyboard.press('Enter');
      await expect
        .poll(() => page.locator('#problem').getAttribute('data-error'))
        .toBe('invitation_not_found');
      expect(broker.tenantSecrets?.has('globex')).toBe(false);
      await page.close();
    });
  },
);
