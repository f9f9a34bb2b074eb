/**
 * `npm start`'s server: the Lambda handler behind node:http, invoked as API Gateway invokes it
 * (the `api` entry), with the query string handed over as API Gateway would.
 */
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { toApiGatewayEvent } from '../../local/api-gateway-adapter.js';
import { invokeDirect, type LocalBroker, startLocalBroker } from '../../local/local-broker.js';

let broker: LocalBroker | undefined;
const lines: string[] = [];

afterEach(async () => {
  await broker?.close();
  broker = undefined;
  lines.length = 0;
});

async function start(): Promise<LocalBroker> {
  broker = await startLocalBroker({ port: 0, env: {}, sink: (line) => lines.push(line) });
  return broker;
}

const lastLine = () => JSON.parse(lines.at(-1) ?? '{}') as Record<string, unknown>;

function request(url: string): IncomingMessage {
  const message = new IncomingMessage(new Socket());
  message.method = 'GET';
  message.url = url;
  message.headers = { host: '127.0.0.1:8787' };
  return message;
}

describe('Local server: entries', () => {
  it('invokes the handler through the api entry', async () => {
    const local = await start();

    const response = await fetch(`${local.url}/token`);

    expect(response.status).toBe(200);
    expect(lastLine()).toMatchObject({ entry: 'api', route: 'GET /token', operation: 'token' });
  });

  it('invokes a direct invocation through the unqualified function, whatever the event', async () => {
    const local = await start();
    const forged = toApiGatewayEvent(request('/token'), '', {
      userArn: 'arn:aws:iam::111122223333:role/admin',
      accountId: '111122223333',
    });

    const error = await invokeDirect(local, forged).catch((thrown: Error) => thrown);

    expect((error as Error).name).toBe('invalid_request');
    expect(lastLine()).toMatchObject({ entry: 'direct', caller_kind: 'direct' });
  });
});

describe('Local server: prototype keys in the query string', () => {
  for (const name of ['__proto__', 'constructor', 'prototype', 'hasOwnProperty']) {
    it(`hands ?${name}=x to the handler as a key, answered 400 Unknown field`, async () => {
      const local = await start();

      const response = await fetch(`${local.url}/token?${name}=x`);

      expect(response.status).toBe(400);
      const body = (await response.json()) as Record<string, unknown>;
      expect(body.error).toBe('invalid_request');
      expect(body.error_description).toContain(`Unknown field "${name}"`);
    });
  }

  it('keeps __proto__ as an own key of both query maps of the event', () => {
    const event = toApiGatewayEvent(
      request('/token?__proto__=x&scope=item_preview'),
      '',
      undefined,
    );

    expect(Object.keys(event.queryStringParameters ?? {})).toEqual(['__proto__', 'scope']);
    expect(Object.keys(event.multiValueQueryStringParameters ?? {})).toEqual([
      '__proto__',
      'scope',
    ]);
    expect(Object.getPrototypeOf(event.queryStringParameters)).toBeNull();
  });
});

describe('Local server: simulated tenants (BOX_LOCAL_TENANTS)', () => {
  it('serves each listed tenant from its own simulated Box app, and the default tenant too', async () => {
    broker = await startLocalBroker({
      port: 0,
      env: { BOX_LOCAL_TENANTS: 'acme, globex' },
      sink: (line) => lines.push(line),
    });
    const get = async (query: string) => {
      const response = await fetch(`${broker?.url}/token${query}`);
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };

    const acme = await get('?tenant=acme');
    const globex = await get('?tenant=globex');
    const unnamed = await get('');
    const unknown = await get('?tenant=initech');

    expect(broker.tenants.map((tenant) => tenant.id)).toEqual(['acme', 'globex']);
    expect(acme.body).toMatchObject({
      tenant: 'acme',
      box_subject_id: broker.tenants[0]?.enterpriseId,
    });
    expect(globex.body).toMatchObject({
      tenant: 'globex',
      box_subject_id: broker.tenants[1]?.enterpriseId,
    });
    expect(acme.body.box_subject_id).not.toBe(globex.body.box_subject_id);
    expect(unnamed.status).toBe(200);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toBe('tenant_not_found');
  });

  it('keeps an explicit access policy: a policy without tenants admits only the default tenant', async () => {
    broker = await startLocalBroker({
      port: 0,
      env: {
        BOX_LOCAL_TENANTS: 'acme',
        BOX_ACCESS_POLICY: JSON.stringify({
          version: 1,
          rules: [{ id: 'all', callers: ['*'], subjects: ['enterprise'] }],
        }),
      },
      sink: (line) => lines.push(line),
    });
    expect((await fetch(`${broker.url}/token?tenant=acme`)).status).toBe(403);
    expect((await fetch(`${broker.url}/token`)).status).toBe(200);
  });

  it('refuses a bad tenant list, and tenants with real credentials', async () => {
    await expect(startLocalBroker({ port: 0, env: { BOX_LOCAL_TENANTS: 'Acme' } })).rejects.toThrow(
      /BOX_LOCAL_TENANTS must list tenant IDs/,
    );
    await expect(
      startLocalBroker({ port: 0, env: { BOX_LOCAL_TENANTS: 'acme', BOX_CLIENT_ID: 'x' } }),
    ).rejects.toThrow(/simulated tenants only/);
  });
});
