import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BOX_USER_AGENT } from '../lambda/box/user-agent.js';
import { runSetupCheck } from '../lambda/setup/setup-check.js';
import type { SetupCheckResult, SetupStepResult } from '../lambda/setup/setup-check-types.js';
import {
  type AppMisconfiguration,
  BOX_ERROR_DESCRIPTIONS,
  type BoxSimulator,
  type SimulatorApp,
  startBoxSimulator,
} from '../local/box-simulator/index.js';
import { SETUP_EXIT } from '../local/setup/exit-codes.js';
import { appEnv, runSetup } from './support/setup-cli.js';

const APP = {
  clientId: 'acme-client-id',
  clientSecret: 'acme-secret-Xq7ZpLw',
  enterpriseId: '5550001',
};
const MANAGED_USER = '777001';
const ALL_SCOPES = ['--require', 'read_all_files', '--require', 'item_upload'];

let sim: BoxSimulator;
let app: SimulatorApp;

beforeAll(async () => {
  // The default app is someone else's: the check must work for an added app (a tenant).
  sim = await startBoxSimulator();
  app = sim.addApp(APP);
});

afterAll(async () => {
  await sim.close();
});

beforeEach(() => {
  sim.reset();
  app.setMisconfigurations([]);
  app.setScopes(['root_readonly', 'root_readwrite', 'item_upload', 'item_preview']);
});

async function checkJson(
  extraArgs: string[] = [],
  env: Record<string, string> = appEnv(sim, APP),
): Promise<{ code: number; result: SetupCheckResult; stdout: string }> {
  const run = await runSetup(['check', '--json', ...extraArgs], { env });
  return { code: run.code, result: JSON.parse(run.stdout) as SetupCheckResult, stdout: run.stdout };
}

function step(result: SetupCheckResult, id: string): SetupStepResult {
  const found = result.steps.find((s) => s.id === id);
  if (found === undefined) throw new Error(`no step ${id}`);
  return found;
}

function failed(result: SetupCheckResult): string[] {
  return result.steps.filter((s) => s.status === 'fail').map((s) => s.id);
}

describe('box-token-broker check: one row per setup step against the simulator', () => {
  it('passes every row of a correctly set-up app, in the setup guide order', async () => {
    const run = await runSetup(['check', '--as-user', MANAGED_USER, ...ALL_SCOPES], {
      env: appEnv(sim, APP),
    });
    expect(run.code).toBe(SETUP_EXIT.ok);
    const marks = run.stdout.split('\n').filter((line) => /^[✔✖–] /.test(line));
    expect(marks).toEqual([
      '✔ 1. The app uses Server Authentication (Client Credentials Grant)',
      '✔ 2. The app holds the scope "Read all files and folders stored in Box" (root_readonly)',
      '✔ 2. The app holds the scope "item_upload"',
      '✔ 3. "Perform Actions as Users" works (As-User header)',
      '✔ 3. "Generate user access tokens" works (box_subject_type=user)',
      '✔ 4. The client ID and client secret are right',
      '✔ 5. The app is authorised by the enterprise admin',
      '✔ 6. The enterprise ID is right',
      "✔ 7. The service account's token works (GET /2.0/users/me)",
    ]);
    expect(run.stdout).toContain('AutomationUser_');
    expect(run.stdout).toContain('PASS');
  });

  it('--json: every step carries pass/fail/skipped, evidence and fix; the service account is named', async () => {
    const { code, result } = await checkJson(['--as-user', MANAGED_USER, ...ALL_SCOPES]);
    expect(code).toBe(0);
    expect(result.outcome).toBe('pass');
    expect(result.steps.every((s) => s.status === 'pass' && s.fix === null)).toBe(true);
    expect(result.serviceAccount?.login).toMatch(/@boxdevedition\.com$/);
    expect(step(result, 'ccg').evidence[0]).toEqual({
      request: 'POST /oauth2/token (client_credentials, box_subject_type=enterprise)',
      status: 200,
    });
  });

  const rows: {
    name: string;
    misconfigure: (a: SimulatorApp) => void;
    env?: () => Record<string, string>;
    args?: string[];
    step: string;
    code?: string;
    message?: string;
    fix: RegExp;
  }[] = [
    {
      name: 'the app does not use Client Credentials Grant',
      misconfigure: (a) => a.misconfigure('not_ccg'),
      step: 'ccg',
      message: `${BOX_ERROR_DESCRIPTIONS.grantTypeUnauthorized}.`,
      fix: /Server Authentication Method .*Allow developers to switch server app auth type.*Create Platform App > Platform App/,
    },
    {
      name: 'the client secret is wrong',
      misconfigure: () => {},
      env: () => appEnv(sim, { ...APP, clientSecret: 'not-the-secret' }),
      step: 'credentials',
      code: 'invalid_client',
      message: BOX_ERROR_DESCRIPTIONS.invalidClient,
      fix: /OAuth 2\.0 Credentials/,
    },
    {
      name: 'the client secret was reset in the Developer Console',
      misconfigure: (a) => a.misconfigure('secret_reset'),
      step: 'credentials',
      code: 'invalid_client',
      fix: /Fetch Client Secret/,
    },
    {
      name: 'the app is not authorised by the enterprise admin',
      misconfigure: (a) => a.misconfigure('not_authorized'),
      step: 'authorized',
      code: 'unauthorized_client',
      message: BOX_ERROR_DESCRIPTIONS.appNotAuthorized,
      fix: /Admin Console > Integrations > Platform Apps Manager > Server Authentication Apps .*Authorize\. .*Disable unpublished apps by default/,
    },
    {
      name: 'the enterprise ID is wrong (told apart by a user token)',
      misconfigure: () => {},
      env: () => appEnv(sim, { ...APP, enterpriseId: '9990009' }),
      args: ['--as-user', MANAGED_USER],
      step: 'enterprise_id',
      code: 'invalid_grant',
      message: BOX_ERROR_DESCRIPTIONS.invalidGrant,
      fix: /Admin Console > Account & Billing > Account Information.*General Settings.*users\/me\?fields=enterprise/,
    },
    {
      name: 'the app lacks "Read all files and folders"',
      misconfigure: (a) => a.setScopes(['item_upload']),
      step: 'scope:root_readonly',
      code: 'insufficient_scope',
      message: BOX_ERROR_DESCRIPTIONS.insufficientScope,
      fix: /Application Scopes: tick "Read all files and folders stored in Box"/,
    },
    {
      name: 'the app lacks a scope checked by token exchange',
      misconfigure: (a) => a.setScopes(['root_readonly']),
      step: 'scope:item_upload',
      fix: /Application Scopes: tick .*Reauthorize/,
    },
    {
      name: '"Perform Actions as Users" is off',
      misconfigure: (a) => a.misconfigure('as_user_off'),
      args: ['--as-user', MANAGED_USER],
      step: 'as_user',
      code: 'insufficient_scope',
      fix: /Make API calls using the as-user header/,
    },
    {
      name: '"Generate user access tokens" is off',
      misconfigure: (a) => a.misconfigure('user_tokens_off'),
      args: ['--as-user', MANAGED_USER],
      step: 'user_tokens',
      code: 'invalid_grant',
      message: BOX_ERROR_DESCRIPTIONS.invalidGrant,
      fix: /Advanced Features: enable "Generate user access tokens"/,
    },
  ];

  it.each(rows)('names exactly one step when $name', async (row) => {
    row.misconfigure(app);
    const { code, result } = await checkJson([...ALL_SCOPES, ...(row.args ?? [])], row.env?.());
    expect(code).toBe(SETUP_EXIT.failed);
    expect(result.outcome).toBe('fail');
    expect(failed(result)).toEqual([row.step]);
    expect(result.failedSteps).toEqual([row.step]);
    const failing = step(result, row.step);
    expect(failing.fix).toMatch(row.fix);
    const evidence = failing.evidence.at(0);
    if (row.code !== undefined) expect(evidence?.code).toBe(row.code);
    if (row.message !== undefined) expect(evidence?.message).toBe(row.message);
  });

  it("fails the service-account row when Box refuses the service account's own token", async () => {
    sim.injectFault({
      kind: 'response',
      path: '/2.0/users/me',
      status: 401,
      headers: {
        'www-authenticate':
          'Bearer realm="Service", error="invalid_token", error_description="The access token provided is invalid."',
      },
    });
    const { code, result } = await checkJson();
    expect(code).toBe(SETUP_EXIT.failed);
    expect(failed(result)).toEqual(['service_account']);
    expect(step(result, 'service_account').evidence[0]).toMatchObject({
      status: 401,
      code: 'invalid_token',
    });
  });

  it('says "one of" for invalid_grant it cannot tell apart, and decides no step by guessing', async () => {
    app.misconfigure('not_reauthorized');
    const { code, result } = await checkJson();
    expect(code).toBe(SETUP_EXIT.failed);
    expect(failed(result)).toEqual(['enterprise_id']);
    const verdict = step(result, 'enterprise_id');
    expect(verdict.fix).toMatch(/^One of:\n\(1\) the client secret/);
    expect(verdict.note).toContain('--as-user');
    expect(step(result, 'credentials').status).toBe('skipped');
    expect(step(result, 'authorized').status).toBe('skipped');
  });

  it('labels a verdict drawn from other answers "inferred" (a user token proves the enterprise ID wrong)', async () => {
    const env = appEnv(sim, { ...APP, enterpriseId: '9990009' });
    const { result } = await checkJson(['--as-user', MANAGED_USER], env);
    expect(step(result, 'enterprise_id')).toMatchObject({ status: 'fail', basis: 'inferred' });
    expect(step(result, 'credentials')).toMatchObject({ status: 'pass', basis: 'documented' });
  });

  it('lists the client secret among the causes when Box answers a reset secret invalid_grant', async () => {
    app.setWrongSecretAnswer('invalid_grant');
    app.misconfigure('secret_reset');
    const { result } = await checkJson();
    expect(failed(result)).toEqual(['enterprise_id']);
    expect(step(result, 'enterprise_id').fix).toMatch(/^One of:\n\(1\) the client secret/);
    expect(step(result, 'credentials').status).toBe('skipped');
  });

  it('sends the broker User-Agent on every probe', async () => {
    await checkJson(['--as-user', MANAGED_USER, ...ALL_SCOPES]);
    expect(sim.requests.length).toBeGreaterThan(2);
    expect(sim.requests.every((r) => r.userAgent === BOX_USER_AGENT)).toBe(true);
  });

  it('does not call a wrong enterprise ID proven when user tokens are off too', async () => {
    app.misconfigure('user_tokens_off');
    const env = appEnv(sim, { ...APP, enterpriseId: '9990009' });
    const { result } = await checkJson(['--as-user', MANAGED_USER], env);
    expect(failed(result)).toEqual(['enterprise_id']);
    expect(step(result, 'enterprise_id').fix).toContain('Generate user access tokens');
    expect(step(result, 'user_tokens').status).toBe('skipped');
  });

  it('marks the user rows not checked without --as-user, and passes without them', async () => {
    const { code, result } = await checkJson();
    expect(code).toBe(0);
    expect(step(result, 'as_user')).toMatchObject({ status: 'skipped', required: false });
    expect(step(result, 'as_user').note).toContain('--as-user');
  });

  it('is inconclusive (exit 3), not failed, when Box answers 503', async () => {
    sim.injectFault({ kind: 'server_error', status: 503 });
    const { code, result } = await checkJson();
    expect(code).toBe(SETUP_EXIT.inconclusive);
    expect(result.outcome).toBe('inconclusive');
    expect(step(result, 'credentials').note).toContain('HTTP 503');
  });

  it('never prints the client secret or a token Box issued', async () => {
    const text = await runSetup(['check', '--as-user', MANAGED_USER, ...ALL_SCOPES], {
      env: appEnv(sim, APP),
    });
    const json = await checkJson(['--as-user', MANAGED_USER, ...ALL_SCOPES]);
    const output = text.stdout + text.stderr + json.stdout;
    expect(output).not.toContain(APP.clientSecret);
    const tokens = sim.issuedTokens().map((t) => t.accessToken);
    expect(tokens.length).toBeGreaterThan(3);
    for (const token of tokens) expect(output).not.toContain(token);
  });

  it('prompts for missing values, the client secret without echo', async () => {
    const asked: { question: string; secret: boolean }[] = [];
    const answers = [APP.clientId, APP.clientSecret, APP.enterpriseId];
    const run = await runSetup(['check'], {
      env: { BOX_API_URL: sim.url },
      prompt: async (question, { secret }) => {
        asked.push({ question, secret });
        return answers[asked.length - 1] ?? '';
      },
    });
    expect(run.code).toBe(0);
    expect(asked.map((a) => a.secret)).toEqual([false, true, false]);
  });

  it('refuses unknown scopes and a client secret on the command line', async () => {
    const scope = await runSetup(['check', '--require', 'root_readonly,all_the_things'], {
      env: appEnv(sim, APP),
    });
    expect(scope.code).toBe(SETUP_EXIT.usage);
    expect(scope.stderr).toContain('all_the_things');
    const secret = await runSetup(['check', '--client-secret', 'x'], { env: appEnv(sim, APP) });
    expect(secret.code).toBe(SETUP_EXIT.usage);
  });

  it('without env or a terminal, says where credentials come from (exit 4)', async () => {
    const run = await runSetup(['check'], { env: { BOX_API_URL: sim.url } });
    expect(run.code).toBe(SETUP_EXIT.credentials);
    expect(run.stderr).toContain('BOX_CLIENT_ID');
  });
});

describe('runSetupCheck (the engine a scheduled Lambda runs)', () => {
  const misconfigurations: AppMisconfiguration[] = ['not_ccg', 'secret_reset', 'not_authorized'];

  it.each(misconfigurations)('returns a JSON-ready result naming the step for %s', async (m) => {
    app.misconfigure(m);
    const result = await runSetupCheck(
      { credentials: APP },
      { apiUrl: sim.url, deadline: { signal: new AbortController().signal, atMs: Infinity } },
    );
    expect(result.outcome).toBe('fail');
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });

  it('stops at its deadline when Box hangs, and reports inconclusive', async () => {
    sim.injectFault({ kind: 'hang' });
    const started = Date.now();
    const result = await runSetupCheck(
      { credentials: APP },
      { apiUrl: sim.url, deadline: { signal: AbortSignal.timeout(200), atMs: started + 200 } },
    );
    expect(Date.now() - started).toBeLessThan(2000);
    expect(result.outcome).toBe('inconclusive');
    expect(step(result, 'credentials').note).toContain('did not answer in time');
  });
});
