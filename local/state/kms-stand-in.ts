/**
 * A KMS stand-in on loopback that speaks the KMS wire protocol (AWS JSON 1.1, `X-Amz-Target:
 * TrentService.<Operation>`) for `Encrypt`, `Decrypt` and `DescribeKey`, so the real
 * `@aws-sdk/client-kms` talks to it through `AWS_ENDPOINT_URL_KMS`. It really encrypts
 * (AES-256-GCM under a per-key secret that never leaves the process) and really checks the
 * encryption context (bound as additional authenticated data): a ciphertext decrypted under
 * another context, altered, or under another key fails as KMS fails (`InvalidCiphertextException`,
 * `IncorrectKeyException`). Tests program faults (denied, throttled, disabled, slow) and read the
 * calls it answered. It does not verify signatures: it is for one machine, never exposed.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the stand-in answers instead of the operation, until cleared. */
export type KmsFault =
  | { kind: 'denied' }
  | { kind: 'throttled' }
  | { kind: 'disabled' }
  | { kind: 'slow'; delayMs: number };

export interface KmsStandIn {
  /** Origin, e.g. `http://127.0.0.1:54321` (AWS_ENDPOINT_URL_KMS). */
  readonly url: string;
  /** The ARN of the key it created at start. */
  readonly keyArn: string;
  /** The alias of that key (`alias/…`). */
  readonly alias: string;
  /** Creates another key; returns its ARN. */
  createKey(): string;
  /** Answers every call with this fault from now on; undefined clears it. */
  setFault(fault: KmsFault | undefined): void;
  /** Calls answered so far, per operation (faulted ones included). */
  readonly calls: Readonly<Record<string, number>>;
  /** Every encryption context seen, in order (tests check what CloudTrail would log). */
  readonly contexts: readonly Record<string, string>[];
  close(): Promise<void>;
}

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const FORMAT = 1;

interface Key {
  id: string;
  arn: string;
  secret: Buffer;
}

/** Starts the stand-in on 127.0.0.1 (port 0 = any free port) with one key and its alias. */
export async function startKmsStandIn(
  options: { port?: number; alias?: string } = {},
): Promise<KmsStandIn> {
  const keys = new Map<string, Key>();
  const aliases = new Map<string, string>();
  const calls: Record<string, number> = Object.create(null);
  const contexts: Record<string, string>[] = [];
  let fault: KmsFault | undefined;
  const createKey = (): string => {
    const id = randomUUID();
    const key = { id, arn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/${id}`, secret: randomBytes(32) };
    keys.set(id, key);
    return key.arn;
  };
  const keyArn = createKey();
  const alias = options.alias ?? 'alias/box-token-broker-local';
  aliases.set(alias, keyArn.slice(keyArn.lastIndexOf('/') + 1));

  /** A key by ID, ARN, alias name or alias ARN. */
  const resolve = (keyId: unknown): Key | undefined => {
    if (typeof keyId !== 'string') return undefined;
    const aliasName = keyId.includes(':alias/') ? keyId.slice(keyId.indexOf('alias/')) : keyId;
    const id = aliases.get(aliasName) ?? keyId.slice(keyId.lastIndexOf('/') + 1);
    return keys.get(id);
  };

  const operations: Record<string, (body: Record<string, unknown>) => Answer> = {
    Encrypt(body) {
      const key = resolve(body.KeyId);
      if (key === undefined) return error('NotFoundException', 'Key not found.');
      const plaintext = base64(body.Plaintext);
      if (plaintext === undefined || plaintext.length === 0 || plaintext.length > 4096) {
        return error('ValidationException', 'Plaintext must be 1 to 4096 bytes.');
      }
      const context = contextOf(body.EncryptionContext);
      contexts.push(context);
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key.secret, iv);
      cipher.setAAD(aad(context));
      const sealed = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      const id = Buffer.from(key.id, 'utf8');
      const blob = Buffer.concat([
        Buffer.from([FORMAT, id.length]),
        id,
        iv,
        cipher.getAuthTag(),
        sealed,
      ]);
      return ok({
        CiphertextBlob: blob.toString('base64'),
        KeyId: key.arn,
        EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      });
    },
    Decrypt(body) {
      const blob = base64(body.CiphertextBlob);
      const context = contextOf(body.EncryptionContext);
      contexts.push(context);
      if (blob === undefined || blob.length < 2 + 12 + 16 || blob[0] !== FORMAT) {
        return error('InvalidCiphertextException', '');
      }
      const idLength = blob[1] ?? 0;
      const key = keys.get(blob.subarray(2, 2 + idLength).toString('utf8'));
      if (key === undefined) return error('InvalidCiphertextException', '');
      if (body.KeyId !== undefined && resolve(body.KeyId)?.id !== key.id) {
        return error(
          'IncorrectKeyException',
          'The key ID in the request does not identify the key used to encrypt the ciphertext.',
        );
      }
      const start = 2 + idLength;
      try {
        const decipher = createDecipheriv(
          'aes-256-gcm',
          key.secret,
          blob.subarray(start, start + 12),
        );
        decipher.setAAD(aad(context));
        decipher.setAuthTag(blob.subarray(start + 12, start + 28));
        const plaintext = Buffer.concat([
          decipher.update(blob.subarray(start + 28)),
          decipher.final(),
        ]);
        return ok({
          Plaintext: plaintext.toString('base64'),
          KeyId: key.arn,
          EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        });
      } catch {
        // Wrong context or altered bytes: KMS says exactly this, with no detail.
        return error('InvalidCiphertextException', '');
      }
    },
    DescribeKey(body) {
      const key = resolve(body.KeyId);
      if (key === undefined) return error('NotFoundException', 'Key not found.');
      return ok({
        KeyMetadata: { KeyId: key.id, Arn: key.arn, Enabled: true, KeyState: 'Enabled' },
      });
    },
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, JSON_HEADERS);
      res.end(JSON.stringify({ __type: 'KMSInternalException', message: 'stand-in failure' }));
    });
  });
  const timers = new Set<NodeJS.Timeout>();
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    const name = target.startsWith('TrentService.') ? target.slice('TrentService.'.length) : '';
    calls[name] = (calls[name] ?? 0) + 1;
    let answer: Answer;
    const current = fault;
    if (current?.kind === 'slow') {
      await new Promise<void>((done) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          done();
        }, current.delayMs);
        timers.add(timer);
      });
    }
    if (current?.kind === 'denied') {
      answer = error('AccessDeniedException', 'User is not authorized to perform kms action.');
    } else if (current?.kind === 'throttled') {
      answer = error('ThrottlingException', 'Rate exceeded');
    } else if (current?.kind === 'disabled') {
      answer = error('DisabledException', 'The key is disabled.');
    } else {
      const operation = Object.hasOwn(operations, name) ? operations[name] : undefined;
      let body: Record<string, unknown> = {};
      try {
        const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
        if (typeof parsed === 'object' && parsed !== null) body = parsed as Record<string, unknown>;
      } catch {
        // An unreadable body is answered as KMS answers one.
      }
      answer =
        operation === undefined
          ? error('UnknownOperationException', `Operation ${name} is not supported.`)
          : operation(body);
    }
    if (res.destroyed) return;
    res.writeHead(answer.status, JSON_HEADERS);
    res.end(JSON.stringify(answer.body));
  }

  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, '127.0.0.1', () => done());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    keyArn,
    alias,
    createKey,
    setFault(next) {
      fault = next;
    },
    calls,
    contexts,
    close: () =>
      new Promise<void>((done) => {
        for (const timer of timers) clearTimeout(timer);
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

const JSON_HEADERS = { 'content-type': 'application/x-amz-json-1.1' };

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

function ok(body: Record<string, unknown>): Answer {
  return { status: 200, body };
}

function error(type: string, message: string): Answer {
  return { status: 400, body: { __type: type, message } };
}

function base64(value: unknown): Buffer | undefined {
  return typeof value === 'string' ? Buffer.from(value, 'base64') : undefined;
}

/** The request's encryption context as a prototype-free map of strings. */
function contextOf(value: unknown): Record<string, string> {
  const context: Record<string, string> = Object.create(null);
  if (typeof value !== 'object' || value === null) return context;
  for (const [name, entry] of Object.entries(value)) {
    if (typeof entry === 'string') context[name] = entry;
  }
  return context;
}

/** The context as authenticated data: order-independent, as KMS treats it. */
function aad(context: Record<string, string>): Buffer {
  const entries = Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Buffer.from(JSON.stringify(entries), 'utf8');
}
