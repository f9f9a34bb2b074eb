import { BrokerClientError } from './errors.js';
import {
  isLoopbackUrl,
  type RequestSigner,
  type SignedRequest,
  unsignedRequest,
} from './request-signer.js';

/**
 * Signs broker calls, except that a call to a broker on this machine (`npm start`) goes unsigned
 * when the credential chain finds no AWS credentials: the local broker trusts local callers
 * unless its IAM emulation is on. Any other broker is always signed.
 */
export class LoopbackFallbackSigner {
  readonly #signer: RequestSigner;
  readonly #warn: (message: string) => void;
  /** Set once a loopback call found no credentials: later calls go unsigned at once. */
  #unsigned = false;

  /** `warn` is told once, when the first call falls back to unsigned. */
  constructor(signer: RequestSigner, warn: (message: string) => void) {
    this.#signer = signer;
    this.#warn = warn;
  }

  /** The call, signed; for a loopback broker without AWS credentials, unsigned instead. */
  async prepare(method: string, url: URL, body: string | undefined): Promise<SignedRequest> {
    if (this.#unsigned) return unsignedRequest(method, url, body);
    try {
      return await this.#signer.sign(method, url, body);
    } catch (error) {
      const noCredentials =
        error instanceof BrokerClientError && error.code === 'aws_credentials_unavailable';
      if (!noCredentials || !isLoopbackUrl(url)) throw error;
      this.#unsigned = true;
      this.#warn(
        `No AWS credentials found: calling the local broker at ${url.host} unsigned (it answers unsigned calls unless its IAM emulation is on).`,
      );
      return unsignedRequest(method, url, body);
    }
  }
}
