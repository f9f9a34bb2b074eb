/**
 * SigV4 signing for `execute-api` with AWS's own signer (`@smithy/signature-v4`) and, unless the
 * caller passes credentials, the default AWS credential chain (environment, SSO, profiles, web
 * identity, ECS and EC2 roles), exactly what the AWS SDK would use in the same process.
 */
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { BrokerClientError } from './errors.js';
import { NodeSha256 } from './sha256.js';
import { USER_AGENT } from './version.js';

/** AWS credentials to sign with. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

/** Credentials, or a function that resolves them (called per request; memoize expensive ones). */
export type AwsCredentialsSource = AwsCredentials | (() => Promise<AwsCredentials>);

/** An HTTP request ready for `fetch`: URL, method, headers (with Authorization) and body. */
export interface SignedRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
}

export interface RequestSignerOptions {
  /** Signing region. */
  region: string;
  /** @default the default AWS credential chain */
  credentials?: AwsCredentialsSource;
  /** Named profile for the default chain (like `AWS_PROFILE`). */
  profile?: string;
}

const EXECUTE_API_HOST = /\.execute-api\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(?:\.cn)?$/;
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Whether `url` names this machine (where plain http and unsigned calls are acceptable). */
export function isLoopbackUrl(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname);
}

/**
 * The region to sign for: the explicit one, else the one in an `execute-api` host name, else
 * `AWS_REGION` / `AWS_DEFAULT_REGION`, else `us-east-1` for a loopback URL (the local broker
 * accepts any region). Custom domain names need the region given explicitly or in the environment.
 */
export function resolveRegion(
  url: URL,
  explicit: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string {
  if (explicit !== undefined && explicit !== '') return explicit;
  const fromHost = EXECUTE_API_HOST.exec(url.hostname)?.[1];
  if (fromHost !== undefined) return fromHost;
  const fromEnv = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (fromEnv) return fromEnv;
  if (LOOPBACK_HOSTS.has(url.hostname)) return 'us-east-1';
  throw new BrokerClientError(
    'invalid_argument',
    `Cannot tell the AWS region of ${url.host}: pass region (or set AWS_REGION).`,
  );
}

/** Signs broker requests; one instance per broker URL and identity. */
export class RequestSigner {
  readonly region: string;
  readonly #signer: SignatureV4;

  constructor(options: RequestSignerOptions) {
    this.region = options.region;
    const credentials =
      options.credentials ??
      defaultProvider(options.profile === undefined ? {} : { profile: options.profile });
    this.#signer = new SignatureV4({
      service: 'execute-api',
      region: options.region,
      credentials: typeof credentials === 'function' ? withTypedFailure(credentials) : credentials,
      sha256: NodeSha256,
    });
  }

  /** Signs `method url` with a JSON `body` (or none). */
  async sign(method: string, url: URL, body: string | undefined): Promise<SignedRequest> {
    const unsigned = unsignedRequest(method, url, body);
    const query: Record<string, string> = {};
    for (const [name, value] of url.searchParams) query[name] = value;
    // The signer clones any object of HttpRequest's shape; no class from another package needed.
    const signed = await this.#signer.sign({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port === '' ? {} : { port: Number(url.port) }),
      path: url.pathname,
      query,
      headers: { host: url.host, ...unsigned.headers },
      ...(body === undefined ? {} : { body }),
    });
    // fetch sets Host from the URL itself (the same value that was signed).
    const { host: _host, ...sendHeaders } = signed.headers;
    return { url, method, headers: sendHeaders, body };
  }
}

/** The same request without a signature: for a local broker when no AWS credentials exist. */
export function unsignedRequest(method: string, url: URL, body: string | undefined): SignedRequest {
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': USER_AGENT };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return { url, method, headers, body };
}

function withTypedFailure(provider: () => Promise<AwsCredentials>): () => Promise<AwsCredentials> {
  return async () => {
    try {
      return await provider();
    } catch (error) {
      throw new BrokerClientError(
        'aws_credentials_unavailable',
        `No AWS credentials to sign the request with (${error instanceof Error ? error.name : 'error'}); configure the default chain (AWS_PROFILE, a role, or AWS_ACCESS_KEY_ID).`,
        { cause: error },
      );
    }
  };
}
