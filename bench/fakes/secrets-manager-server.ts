/**
 * A wire-level Secrets Manager fake: a real HTTP server on 127.0.0.1 that speaks the service's
 * AWS JSON 1.1 protocol for `GetSecretValue`. Pointing `AWS_ENDPOINT_URL_SECRETS_MANAGER` (or a
 * client's `endpoint`) at it exercises the real SDK code path, bundled or not, and counts calls.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The secret value the fake serves, as Secrets Manager stores it. */
export interface FakeSecretValue {
  clientId: string;
  clientSecret: string;
  enterpriseId: string;
}

const JSON_TYPE = 'application/x-amz-json-1.1';

/** A running fake. Create it with {@link startSecretsManagerFake}; always `close()` it. */
export class SecretsManagerFake {
  /** Endpoint URL for the SDK (`AWS_ENDPOINT_URL_SECRETS_MANAGER`). */
  readonly url: string;
  #callTimes: number[] = [];
  #version = 1;
  #value: FakeSecretValue;
  #tenantPrefix: string | undefined;

  constructor(
    private readonly server: Server,
    private readonly secretName: string,
    value: FakeSecretValue,
    private readonly now: () => number,
  ) {
    const address = server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${address.port}`;
    this.#value = value;
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      void this.#handle(req, res);
    });
  }

  /** `GetSecretValue` calls answered so far. */
  get getSecretValueCalls(): number {
    return this.#callTimes.length;
  }

  /** When each `GetSecretValue` was answered, by the fake's clock. */
  get callTimes(): readonly number[] {
    return this.#callTimes;
  }

  /** The `VersionId` currently served. */
  get versionId(): string {
    return versionIdOf(this.#version);
  }

  /**
   * Also serves every secret named `<prefix><tenant>` (tenants' secrets), all with the same value:
   * each tenant still has its own secret reads and its own cache keys at the broker.
   */
  serveTenants(prefix: string): void {
    this.#tenantPrefix = prefix;
  }

  /** Forgets the call count. */
  resetCount(): void {
    this.#callTimes = [];
  }

  /** An admin edits the secret in the console: a new value under a new `VersionId`. */
  rotate(value: FakeSecretValue): void {
    this.#value = value;
    this.#version += 1;
  }

  close(): Promise<void> {
    return new Promise((done) => {
      this.server.close(() => done());
      this.server.closeAllConnections();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = req.headers['x-amz-target'];
    if (req.method !== 'POST' || target !== 'secretsmanager.GetSecretValue') {
      // Loud on anything unexpected, so a wrong endpoint or protocol cannot pass silently.
      send(res, 400, { __type: 'UnknownOperationException', message: `unsupported ${target}` });
      return;
    }
    const input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { SecretId?: unknown };
    const name = input.SecretId;
    const tenant =
      this.#tenantPrefix !== undefined &&
      typeof name === 'string' &&
      name.startsWith(this.#tenantPrefix);
    if (name !== this.secretName && !tenant) {
      send(res, 400, {
        __type: 'ResourceNotFoundException',
        message: "Secrets Manager can't find the specified secret.",
      });
      return;
    }
    this.#callTimes.push(this.now());
    send(res, 200, {
      ARN: `arn:aws:secretsmanager:us-east-1:111122223333:secret:${String(name)}-AbCdEf`,
      Name: name,
      VersionId: this.versionId,
      SecretString: JSON.stringify(this.#value),
      VersionStages: ['AWSCURRENT'],
      CreatedDate: 1_767_225_600 + this.#version,
    });
  }
}

function versionIdOf(version: number): string {
  return `00000000-0000-4000-8000-${String(version).padStart(12, '0')}`;
}

function send(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  const headers: Record<string, string> = { 'content-type': JSON_TYPE };
  if (status >= 400) headers['x-amzn-errortype'] = String(body.__type);
  res.writeHead(status, headers);
  res.end(JSON.stringify(body));
}

/** Starts a fake serving one secret on an ephemeral loopback port. */
export async function startSecretsManagerFake(
  secretName: string,
  value: FakeSecretValue,
  now: () => number = Date.now,
): Promise<SecretsManagerFake> {
  const server = createServer({ keepAlive: true });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', fail);
      done();
    });
  });
  return new SecretsManagerFake(server, secretName, value, now);
}
