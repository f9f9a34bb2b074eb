/**
 * Encryption of shared tokens under the customer-managed key `BOX_STATE_KMS_KEY`, with direct KMS
 * `Encrypt`/`Decrypt` (docs/fleet-state.md "Cost model" says why not the AWS Encryption SDK: the
 * encryption context is per cache key, so a data-key cache could not share a key between items and
 * would only add a dependency). The encryption context binds each ciphertext to its tenant and
 * cache key: an item copied to another key, or altered, does not decrypt for the reader, and is
 * never served.
 */
import { createHash } from 'node:crypto';
import {
  DecryptCommand,
  EncryptCommand,
  IncorrectKeyException,
  InvalidCiphertextException,
  type KMSClient,
} from '@aws-sdk/client-kms';
import type { Deadline } from '../deadline.js';
import type { SharedTokenKey } from './ports.js';
import { STATE_CALL_TIMEOUT_MS, stateCall } from './state-call.js';

/** The encryption context's fixed member, on which the key policy conditions every use. */
export const ENCRYPTION_CONTEXT_APP = { name: 'app', value: 'box-token-broker' } as const;

/** The keys of the broker's encryption context (the key policy allows no others). */
export const ENCRYPTION_CONTEXT_KEYS = ['app', 'tenant', 'key'] as const;

/** SHA-256 (hex) of a cache key: how items and the encryption context name it. */
export function cacheKeyHash(cacheKey: string): string {
  return createHash('sha256').update(cacheKey, 'utf8').digest('hex');
}

/**
 * The encryption context of one shared token. CloudTrail logs it with every Decrypt, so it holds
 * only the tenant and the hash of the cache key (never a subject or a scope in clear).
 */
export function encryptionContextOf(key: SharedTokenKey): Record<string, string> {
  return {
    [ENCRYPTION_CONTEXT_APP.name]: ENCRYPTION_CONTEXT_APP.value,
    tenant: key.tenant,
    key: cacheKeyHash(key.cacheKey),
  };
}

/** The answer of opening a sealed token: the plaintext, or `rejected` (not this key's item). */
export type Opened = { ok: true; plaintext: Uint8Array } | { ok: false };

/** Seals and opens token payloads for one shared-token key. */
export interface TokenSealer {
  seal(key: SharedTokenKey, plaintext: Uint8Array, deadline: Deadline): Promise<Uint8Array>;
  /**
   * Opens a sealed payload under the reader's own context: `{ok: false}` when it was sealed for
   * another key or altered; rejects with StateUnavailableError when KMS cannot be used.
   */
  open(key: SharedTokenKey, sealed: Uint8Array, deadline: Deadline): Promise<Opened>;
}

export interface KmsTokenSealerOptions {
  client: KMSClient;
  /** `BOX_STATE_KMS_KEY`. */
  keyId: string;
  /** @default STATE_CALL_TIMEOUT_MS */
  callTimeoutMs?: number;
}

/** {@link TokenSealer} on KMS `Encrypt`/`Decrypt` (payloads are far below KMS's 4 KiB limit). */
export class KmsTokenSealer implements TokenSealer {
  private readonly timeoutMs: number;

  constructor(private readonly options: KmsTokenSealerOptions) {
    this.timeoutMs = options.callTimeoutMs ?? STATE_CALL_TIMEOUT_MS;
  }

  async seal(key: SharedTokenKey, plaintext: Uint8Array, deadline: Deadline): Promise<Uint8Array> {
    const answer = await stateCall('encrypt', deadline, this.timeoutMs, (signal) =>
      this.options.client.send(
        new EncryptCommand({
          KeyId: this.options.keyId,
          Plaintext: plaintext,
          EncryptionContext: encryptionContextOf(key),
        }),
        { abortSignal: signal },
      ),
    );
    if (answer.CiphertextBlob === undefined) throw new Error('KMS Encrypt returned no ciphertext.');
    return answer.CiphertextBlob;
  }

  async open(key: SharedTokenKey, sealed: Uint8Array, deadline: Deadline): Promise<Opened> {
    return stateCall('decrypt', deadline, this.timeoutMs, async (signal) => {
      try {
        const answer = await this.options.client.send(
          new DecryptCommand({
            // Pinning the key: a ciphertext made under any other key is refused, not decrypted.
            KeyId: this.options.keyId,
            CiphertextBlob: sealed,
            EncryptionContext: encryptionContextOf(key),
          }),
          { abortSignal: signal },
        );
        return answer.Plaintext === undefined
          ? { ok: false }
          : { ok: true, plaintext: answer.Plaintext };
      } catch (error) {
        // Wrong context, altered ciphertext or another key: not this reader's item.
        if (error instanceof InvalidCiphertextException || error instanceof IncorrectKeyException) {
          return { ok: false };
        }
        throw error;
      }
    });
  }
}
