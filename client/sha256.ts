/**
 * SHA-256 and HMAC-SHA-256 for `@smithy/signature-v4`, from `node:crypto`: the signer takes any
 * class with this shape, so the client needs no hashing package of its own.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';

/** What the signer hands to `update`: text or bytes. */
type SourceData = string | ArrayBuffer | ArrayBufferView;

/** A SHA-256 hash, or an HMAC-SHA-256 when constructed with a secret (the signer's Checksum). */
export class NodeSha256 {
  readonly #secret: SourceData | undefined;
  #hash: Hash | Hmac;

  constructor(secret?: SourceData) {
    this.#secret = secret;
    this.#hash = this.#fresh();
  }

  update(data: SourceData): void {
    this.#hash.update(toBytes(data));
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }

  reset(): void {
    this.#hash = this.#fresh();
  }

  #fresh(): Hash | Hmac {
    return this.#secret === undefined
      ? createHash('sha256')
      : createHmac('sha256', toBytes(this.#secret));
  }
}

function toBytes(data: SourceData): Uint8Array | string {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
