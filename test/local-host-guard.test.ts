import { type ChildProcess, spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST_REFUSAL, isLoopbackHost, isLoopbackOrigin } from '../local/host-guard.js';

const ROOT = resolve(import.meta.dirname, '..');

describe('Function: isLoopbackHost', () => {
  it('accepts localhost, 127.0.0.0/8 and [::1], with or without a port, in any case', () => {
    for (const host of [
      'localhost',
      'LOCALHOST:8787',
      '127.0.0.1',
      '127.0.0.1:8787',
      '127.255.10.1:1',
      '[::1]',
      '[::1]:8787',
    ]) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
  });

  it('refuses every other name, look-alikes and an absent Host included', () => {
    for (const host of [
      undefined,
      '',
      'evil.example',
      'evil.example:8787',
      'localhost.evil.example',
      '127.0.0.1.nip.io',
      '127.0.0.1.evil.example:8787',
      '128.0.0.1',
      '127.0.0.256',
      '127.1',
      '0.0.0.0',
      '[::2]',
      '[::1',
      '[::1]x',
      'localhost:',
      'localhost:http',
      '10.0.0.5:8787',
    ]) {
      expect(isLoopbackHost(host), String(host)).toBe(false);
    }
  });
});

describe('Function: isLoopbackOrigin', () => {
  it('accepts no Origin (not a browser) and loopback origins only', () => {
    expect(isLoopbackOrigin(undefined)).toBe(true);
    expect(isLoopbackOrigin('http://localhost:3000')).toBe(true);
    expect(isLoopbackOrigin('http://127.0.0.1:8787')).toBe(true);
    expect(isLoopbackOrigin('https://evil.example')).toBe(false);
    expect(isLoopbackOrigin('null')).toBe(false);
    expect(isLoopbackOrigin('file://localhost')).toBe(false);
  });
});

interface Answer {
  status: number;
  body: string;
}

function get(port: number, headers: Record<string, string>): Promise<Answer> {
  return new Promise((done, fail) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path: '/token', method: 'GET', headers },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => done({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', fail);
    req.end();
  });
}

describe('Local server: npm start refuses requests addressed to other hosts (DNS rebinding)', () => {
  let server: ChildProcess;
  let port: number;

  beforeAll(async () => {
    // `npm start` exactly (tsx local/server.ts), IAM emulation off, on a free port.
    server = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'local', 'server.ts')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PORT: '0' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    port = await new Promise<number>((done, fail) => {
      let text = '';
      server.stderr?.setEncoding('utf8');
      server.stderr?.on('data', (chunk: string) => {
        text += chunk;
        const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(text);
        if (match !== null) done(Number(match[1]));
      });
      server.once('exit', (code) => fail(new Error(`server exited ${code}: ${text}`)));
    });
  }, 30_000);
  afterAll(() => {
    server.kill('SIGTERM');
  });

  it('answers a loopback Host (127.0.0.1, localhost, [::1]) with a token', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, 'localhost']) {
      const answer = await get(port, { host });
      expect(answer.status, host).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ token_type: 'bearer' });
    }
  });

  it('answers a forged Host 403 access_denied in the contract shape, without a token', async () => {
    for (const host of [
      'evil.example',
      `evil.example:${port}`,
      `127.0.0.1.nip.io:${port}`,
      `localhost.evil.example:${port}`,
    ]) {
      const answer = await get(port, { host });
      expect(answer.status, host).toBe(HOST_REFUSAL.status);
      const body = JSON.parse(answer.body);
      expect(body).toEqual({
        error: 'access_denied',
        error_description: expect.stringContaining('DNS rebinding'),
        retryable: false,
        request_id: expect.any(String),
      });
      expect(answer.body).not.toContain('access_token');
    }
  });

  it('answers a browser request from another origin 403, even with a loopback Host', async () => {
    const answer = await get(port, {
      host: `127.0.0.1:${port}`,
      origin: 'https://evil.example',
    });
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body)).toMatchObject({ error: 'access_denied' });
    expect(answer.body).not.toContain('access_token');
  });
});
