/**
 * `npm start` refuses to start on a configuration it cannot serve, with a message that says
 * what to change, and hints at what a newcomer probably meant.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type LocalBroker, startLocalBroker } from '../../local/local-broker.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'local-start-'));
const quiet = () => undefined;
const started: LocalBroker[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((broker) => broker.close()));
});

async function start(
  env: Record<string, string>,
  hint?: (line: string) => void,
): Promise<LocalBroker> {
  const broker = await startLocalBroker({ env, sink: quiet, ...(hint ? { hint } : {}) });
  started.push(broker);
  return broker;
}

describe('Local server: refuses to start, saying what to change', () => {
  it('PORT that is not a port number', async () => {
    for (const port of ['abc', '-1', '65536', '80.5']) {
      await expect(start({ PORT: port })).rejects.toThrow(
        'PORT must be a port number from 0 to 65535 (0 picks a free port; the default is 8787).',
      );
    }
  });

  it('a port in use names the port and PORT', async () => {
    const first = await start({ PORT: '0' });
    const port = new URL(first.url).port;
    await expect(start({ PORT: port })).rejects.toThrow(
      `port ${port} on 127.0.0.1 is already in use (another npm start?): stop that process, or set PORT to another port (PORT=0 picks a free one).`,
    );
  });

  it('only BOX_CLIENT_ID set: names the two variables missing, not a secret key', async () => {
    const attempt = start({ PORT: '0', BOX_CLIENT_ID: 'abc' });
    await expect(attempt).rejects.toThrow(
      /^BOX_CLIENT_SECRET and BOX_ENTERPRISE_ID are not set: BOX_CLIENT_ID, BOX_CLIENT_SECRET and BOX_ENTERPRISE_ID go together/,
    );
    await expect(attempt).rejects.not.toThrow(/lacks the key/);
  });

  it('an invalid BOX_ACCESS_POLICY_FILE: the validator report, with line and column', async () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{\n  "version": 1,\n  "rules": [ { "id": "a", } ]\n}\n');
    await expect(start({ PORT: '0', BOX_ACCESS_POLICY_FILE: file })).rejects.toThrow(
      `BOX_ACCESS_POLICY_FILE (${file}): invalid access policy (1 error)\n$: not valid JSON at line 3, column 27`,
    );
  });

  it('an invalid inline BOX_ACCESS_POLICY: each problem with its path', async () => {
    const policy = JSON.stringify({ version: 1, rules: [{ id: 'x', callers: [] }] });
    await expect(start({ PORT: '0', BOX_ACCESS_POLICY: policy })).rejects.toThrow(
      /^BOX_ACCESS_POLICY: invalid access policy \(\d+ errors?\)\n\$\.rules\[0\]/,
    );
  });

  it('the server entry prints the message and exits 1, without a stack trace', async () => {
    const result = await new Promise<{ code: number; stderr: string }>((done) => {
      execFile(
        join(ROOT, 'node_modules', '.bin', 'tsx'),
        [join(ROOT, 'local', 'server.ts')],
        {
          cwd: ROOT,
          timeout: 30_000,
          env: { PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, PORT: 'abc' },
        },
        (error, _stdout, stderr) => {
          done({ code: typeof error?.code === 'number' ? error.code : 0, stderr });
        },
      );
    });
    expect(result).toEqual({
      code: 1,
      stderr:
        'box-token-broker: PORT must be a port number from 0 to 65535 (0 picks a free port; the default is 8787).\n',
    });
  });
});

describe('Local server: hints and headers', () => {
  it('a request naming a tenant, when none is served, hints at BOX_LOCAL_TENANTS once', async () => {
    const hints: string[] = [];
    const broker = await start({ PORT: '0' }, (line) => hints.push(line));
    const denied = await fetch(`${broker.url}/token?tenant=acme`);
    expect(denied.status).toBe(403);
    await fetch(`${broker.url}/token?tenant=acme`);
    await fetch(`${broker.url}/token`, {
      method: 'POST',
      body: JSON.stringify({ tenant: '../Not-An-Id' }),
    });
    expect(hints).toEqual([
      'hint: a request named tenant "acme", but this local broker serves only the default tenant. For simulated tenants restart with BOX_LOCAL_TENANTS=acme (comma-separated IDs); see docs/tenants.md.',
      'hint: a request named a tenant, but this local broker serves only the default tenant. For simulated tenants restart with BOX_LOCAL_TENANTS=acme (comma-separated IDs); see docs/tenants.md.',
    ]);
  });

  it('no hint when BOX_LOCAL_TENANTS serves tenants', async () => {
    const hints: string[] = [];
    const broker = await start({ PORT: '0', BOX_LOCAL_TENANTS: 'acme' }, (line) =>
      hints.push(line),
    );
    expect((await fetch(`${broker.url}/token?tenant=acme`)).status).toBe(200);
    expect((await fetch(`${broker.url}/token?tenant=globex`)).status).toBeGreaterThanOrEqual(400);
    expect(hints).toEqual([]);
  });

  it('a 405 answer carries Allow with the methods the route accepts', async () => {
    const broker = await start({ PORT: '0' });
    const cases: [string, string, string][] = [
      ['PUT', '/token', 'GET, POST'],
      ['DELETE', '/token', 'GET, POST'],
      ['GET', '/revoke', 'POST'],
      ['POST', '/health', 'GET'],
    ];
    for (const [method, path, allow] of cases) {
      const response = await fetch(`${broker.url}${path}`, { method });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe(allow);
    }
    const found = await fetch(`${broker.url}/nope`);
    expect(found.status).toBe(404);
    expect(found.headers.get('allow')).toBeNull();
  });
});
