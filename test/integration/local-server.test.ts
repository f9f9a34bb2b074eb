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
