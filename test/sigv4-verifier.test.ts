import { request as httpRequest } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LocalIamConfigError,
  loadLocalIamKeys,
  parseLocalIamKeys,
} from '../local/iam/local-iam-keys.js';
import {
  canonicalRequest,
  headerValues,
  signingKey,
  stringToSign,
} from '../local/iam/sigv4-signing.js';
import {
  API_GATEWAY_MESSAGES,
  type SignedRequest,
  SigV4Verifier,
} from '../local/iam/sigv4-verifier.js';
import { type SignedBroker, startSignedBroker, TEST_KEYS } from './support/signed-broker.js';

// ---- AWS's published SigV4 test suite (aws-sig-v4-test-suite) -------------------------------

const SUITE_KEY = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  arn: 'arn:aws:iam::123456789012:user/suite',
  accountId: '123456789012',
};
const SUITE_DATE = '20150830T123600Z';
const SUITE_NOW = Date.UTC(2015, 7, 30, 12, 36, 0);
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

interface SuiteCase {
  name: string;
  method: string;
  /** The path and query as the suite gives them to the signer. */
  url: string;
  headers?: string[];
  body?: string;
  signedHeaders: string;
  signature: string;
}

/** Cases and expected signatures exactly as AWS publishes them (service `service`, us-east-1). */
const SUITE: SuiteCase[] = [
  {
    name: 'get-vanilla',
    method: 'GET',
    url: '/',
    signedHeaders: 'host;x-amz-date',
    signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
  },
  {
    name: 'get-vanilla-query-order-key-case',
    method: 'GET',
    url: '/?Param2=value2&Param1=value1',
    signedHeaders: 'host;x-amz-date',
    signature: 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500',
  },
  {
    name: 'get-unreserved',
    method: 'GET',
    url: '/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
    signedHeaders: 'host;x-amz-date',
    signature: '07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f',
  },
  {
    name: 'get-utf8',
    method: 'GET',
    url: '/ሴ',
    signedHeaders: 'host;x-amz-date',
    signature: '8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85',
  },
  {
    name: 'normalize-path/get-space',
    method: 'GET',
    url: '/example space/',
    signedHeaders: 'host;x-amz-date',
    signature: '652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741',
  },
  {
    name: 'normalize-path/get-slashes',
    method: 'GET',
    url: '//example//',
    signedHeaders: 'host;x-amz-date',
    signature: '9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84',
  },
  {
    name: 'normalize-path/get-relative-relative',
    method: 'GET',
    url: '/example1/example2/../..',
    signedHeaders: 'host;x-amz-date',
    signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
  },
  {
    name: 'normalize-path/get-slash-pointless-dot',
    method: 'GET',
    url: '/./example',
    signedHeaders: 'host;x-amz-date',
    signature: 'ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5',
  },
  {
    name: 'get-header-value-trim',
    method: 'GET',
    url: '/',
    headers: ['My-Header1', ' value1', 'My-Header2', ' "a   b   c"'],
    signedHeaders: 'host;my-header1;my-header2;x-amz-date',
    signature: 'acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736',
  },
  {
    name: 'post-vanilla',
    method: 'POST',
    url: '/',
    signedHeaders: 'host;x-amz-date',
    signature: '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b',
  },
  {
    name: 'post-vanilla-query',
    method: 'POST',
    url: '/?Param1=value1',
    signedHeaders: 'host;x-amz-date',
    signature: '28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11',
  },
  {
    name: 'post-header-key-sort',
    method: 'POST',
    url: '/',
    headers: ['My-Header1', 'value1'],
    signedHeaders: 'host;my-header1;x-amz-date',
    signature: 'c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c',
  },
  {
    name: 'post-x-www-form-urlencoded',
    method: 'POST',
    url: '/',
    headers: ['Content-Type', 'application/x-www-form-urlencoded'],
    body: 'Param1=value1',
    signedHeaders: 'content-type;host;x-amz-date',
    signature: 'ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a',
  },
];

function suiteRequest(c: SuiteCase, signatureHex = c.signature): SignedRequest {
  return {
    method: c.method,
    url: c.url,
    rawHeaders: [
      'Host',
      'example.amazonaws.com',
      'X-Amz-Date',
      SUITE_DATE,
      ...(c.headers ?? []),
      'Authorization',
      `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=${c.signedHeaders}, Signature=${signatureHex}`,
    ],
  };
}

function suiteVerifier(now = SUITE_NOW): SigV4Verifier {
  return new SigV4Verifier({ keys: [SUITE_KEY], service: 'service', now: () => now });
}

describe('Class: SigV4Verifier (AWS test suite)', () => {
  it.each(SUITE)('accepts the published signature of $name', (c) => {
    // Act
    const result = suiteVerifier().verify(suiteRequest(c), c.body ?? '');

    // Assess
    expect(result).toEqual({
      ok: true,
      accessKeyId: 'AKIDEXAMPLE',
      identity: { userArn: SUITE_KEY.arn, accountId: SUITE_KEY.accountId },
    });
  });

  it.each(SUITE)('rejects $name when one hex digit of the signature changes', (c) => {
    const last = c.signature.endsWith('0') ? '1' : '0';
    const result = suiteVerifier().verify(
      suiteRequest(c, `${c.signature.slice(0, -1)}${last}`),
      c.body ?? '',
    );
    expect(result).toMatchObject({ ok: false, message: API_GATEWAY_MESSAGES.signatureMismatch });
  });

  it('derives the published canonical request hash and signing key for get-vanilla', () => {
    // Prepare
    const headers = headerValues(['Host', 'example.amazonaws.com', 'X-Amz-Date', SUITE_DATE]);

    // Act
    const canonical = canonicalRequest({
      method: 'GET',
      url: '/',
      headers,
      signedHeaders: ['host', 'x-amz-date'],
      payloadHash: EMPTY_SHA256,
    });

    // Assess
    expect(canonical).toBe(
      `GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:${SUITE_DATE}\n\nhost;x-amz-date\n${EMPTY_SHA256}`,
    );
    expect(stringToSign(SUITE_DATE, '20150830/us-east-1/service/aws4_request', canonical)).toBe(
      `AWS4-HMAC-SHA256\n${SUITE_DATE}\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63`,
    );
    expect(
      signingKey(SUITE_KEY.secretAccessKey, {
        date: '20150830',
        region: 'us-east-1',
        service: 'service',
      }).toString('hex'),
    ).toBe('938127b5336810ddb6a5d6af445fcac9e371f9ed418ed386b022aed82901be75');
  });
});

// ---- an independent signer: AWS's own @smithy/signature-v4 ------------------------------------

const KEY = TEST_KEYS.etl;
const NOW = Date.UTC(2026, 0, 15, 9, 30, 0);
const HOST = '127.0.0.1:8787';

interface PlainRequest {
  method: string;
  /** Wire path (percent-encoded) and query. */
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string;
}

/** Signs with @smithy/signature-v4 and returns what would go on the wire. */
async function smithySign(
  plain: PlainRequest,
  options: {
    credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
    date?: number;
    service?: string;
    region?: string;
  } = {},
): Promise<SignedRequest> {
  const signer = new SignatureV4({
    service: options.service ?? 'execute-api',
    region: options.region ?? 'eu-west-1',
    credentials: options.credentials ?? KEY,
    sha256: Sha256,
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: plain.method,
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: 8787,
      path: plain.path,
      query: plain.query ?? {},
      headers: { host: HOST, ...plain.headers },
      ...(plain.body === undefined ? {} : { body: plain.body }),
    }),
    { signingDate: new Date(options.date ?? NOW) },
  );
  const search = new URLSearchParams(plain.query ?? {}).toString().replace(/\+/g, '%20');
  return {
    method: signed.method,
    url: search === '' ? plain.path : `${plain.path}?${search}`,
    rawHeaders: Object.entries(signed.headers).flat(),
  };
}

function verifier(now = NOW): SigV4Verifier {
  return new SigV4Verifier({ keys: Object.values(TEST_KEYS), now: () => now });
}

function withHeader(request: SignedRequest, name: string, value: string): SignedRequest {
  const raw = [...request.rawHeaders];
  const index = raw.findIndex((entry, i) => i % 2 === 0 && entry.toLowerCase() === name);
  if (index === -1) raw.push(name, value);
  else raw[index + 1] = value;
  return { ...request, rawHeaders: raw };
}

function withoutHeader(request: SignedRequest, name: string): SignedRequest {
  const raw: string[] = [];
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    const header = request.rawHeaders[i] ?? '';
    if (header.toLowerCase() !== name) raw.push(header, request.rawHeaders[i + 1] ?? '');
  }
  return { ...request, rawHeaders: raw };
}

const TOKEN_POST: PlainRequest = {
  method: 'POST',
  path: '/prod/token',
  headers: { 'content-type': 'application/json' },
  body: '{"scope":"item_preview"}',
};

describe('Class: SigV4Verifier (against @smithy/signature-v4)', () => {
  it('accepts a request signed by the AWS SDK signer and reports the key principal', async () => {
    const signed = await smithySign(TOKEN_POST);
    const result = verifier().verify(signed, TOKEN_POST.body ?? '');
    expect(result).toEqual({
      ok: true,
      accessKeyId: KEY.accessKeyId,
      identity: { userArn: KEY.arn, accountId: KEY.accountId, principalOrgId: KEY.principalOrgId },
    });
  });

  it('accepts whatever the SDK signer signs: any method, path, query, headers and body', async () => {
    const segment = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 });
    const token = fc.stringMatching(/^[A-Za-z0-9_.~ =&+/-]{0,12}$/);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
        fc.array(segment, { maxLength: 4 }),
        fc.dictionary(fc.stringMatching(/^[A-Za-z0-9_-]{1,8}$/), token, { maxKeys: 4 }),
        fc.dictionary(
          fc.stringMatching(/^x-test-[a-z]{1,6}$/),
          fc.stringMatching(/^[ -~]{1,20}$/),
          {
            maxKeys: 3,
          },
        ),
        fc.string({ maxLength: 64 }),
        async (method, segments, query, headers, body) => {
          const path = `/${segments.map(encodeURIComponent).join('/')}`;
          const plain: PlainRequest = { method, path, query, headers, body };
          const signed = await smithySign(plain);
          const result = verifier().verify(signed, body);
          expect(result.ok).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('accepts temporary credentials with their signed x-amz-security-token', async () => {
    const signed = await smithySign(TOKEN_POST, { credentials: TEST_KEYS.temporary });
    const result = verifier().verify(signed, TOKEN_POST.body ?? '');
    expect(result).toMatchObject({ ok: true, identity: { userArn: TEST_KEYS.temporary.arn } });
  });

  it('accepts the configured region and any region when none is configured', async () => {
    const signed = await smithySign(TOKEN_POST, { region: 'ap-southeast-2' });
    const pinned = new SigV4Verifier({ keys: [KEY], region: 'eu-west-1', now: () => NOW });
    expect(verifier().verify(signed, TOKEN_POST.body ?? '').ok).toBe(true);
    expect(pinned.verify(signed, TOKEN_POST.body ?? '')).toMatchObject({
      ok: false,
      message: 'Credential should be scoped to a valid region.',
    });
  });
});

describe('Class: SigV4Verifier (tampering)', () => {
  const body = TOKEN_POST.body ?? '';
  const mismatch = { ok: false, message: API_GATEWAY_MESSAGES.signatureMismatch };

  it('rejects a request whose method was changed', async () => {
    const signed = await smithySign(TOKEN_POST);
    expect(verifier().verify({ ...signed, method: 'PUT' }, body)).toMatchObject(mismatch);
  });

  it('rejects a request whose path was changed', async () => {
    const signed = await smithySign(TOKEN_POST);
    expect(verifier().verify({ ...signed, url: '/prod/revoke' }, body)).toMatchObject(mismatch);
  });

  it('rejects a request whose query was changed or extended', async () => {
    const signed = await smithySign({
      method: 'GET',
      path: '/prod/token',
      query: { min_ttl: '60' },
    });
    expect(verifier().verify({ ...signed, url: '/prod/token?min_ttl=61' }, '')).toMatchObject(
      mismatch,
    );
    expect(
      verifier().verify({ ...signed, url: '/prod/token?min_ttl=60&scope=item_read' }, ''),
    ).toMatchObject(mismatch);
    expect(verifier().verify(signed, '').ok).toBe(true);
  });

  it('rejects a signed %2B (a plus) replayed as + (a space), and accepts + for a signed space', async () => {
    // Prepare: the SDK signs the values; on the wire a plus is %2B and a space %20.
    const plus = await smithySign({
      method: 'GET',
      path: '/prod/token',
      query: { scope: 'item_preview+item_read' },
    });
    const space = await smithySign({
      method: 'GET',
      path: '/prod/token',
      query: { scope: 'item_preview item_read' },
    });
    expect(plus.url).toBe('/prod/token?scope=item_preview%2Bitem_read');

    // Act
    const tampered = verifier().verify({ ...plus, url: plus.url?.replace('%2B', '+') }, '');
    const spaceAsPlus = verifier().verify(
      { ...space, url: '/prod/token?scope=item_preview+item_read' },
      '',
    );

    // Assess: + reads as a space for the signature exactly as for the handler (API Gateway's rule).
    expect(verifier().verify(plus, '').ok).toBe(true);
    expect(tampered).toMatchObject(mismatch);
    expect(spaceAsPlus.ok).toBe(true);
  });

  it('rejects a request whose body was changed', async () => {
    const signed = await smithySign(TOKEN_POST);
    expect(verifier().verify(signed, '{"scope":"item_download"}')).toMatchObject(mismatch);
  });

  it('rejects a request whose Host header was changed', async () => {
    const signed = await smithySign(TOKEN_POST);
    expect(verifier().verify(withHeader(signed, 'host', 'evil.example:8787'), body)).toMatchObject(
      mismatch,
    );
  });

  it('rejects a request whose x-amz-date was changed within the allowed skew', async () => {
    const signed = await smithySign(TOKEN_POST);
    expect(
      verifier().verify(withHeader(signed, 'x-amz-date', '20260115T093100Z'), body),
    ).toMatchObject(mismatch);
  });

  it('rejects a signature made with the wrong secret key', async () => {
    const signed = await smithySign(TOKEN_POST, {
      credentials: { accessKeyId: KEY.accessKeyId, secretAccessKey: 'not-the-secret' },
    });
    expect(verifier().verify(signed, body)).toMatchObject(mismatch);
  });

  it('rejects an access key it does not know as an invalid security token', async () => {
    const signed = await smithySign(TOKEN_POST, {
      credentials: { accessKeyId: 'AKIDUNKNOWN00000000', secretAccessKey: KEY.secretAccessKey },
    });
    expect(verifier().verify(signed, body)).toEqual({
      ok: false,
      errorType: 'UnrecognizedClientException',
      message: API_GATEWAY_MESSAGES.invalidToken,
    });
  });

  it('rejects temporary credentials with a missing or different session token', async () => {
    const signed = await smithySign(TOKEN_POST, { credentials: TEST_KEYS.temporary });
    const other = withHeader(signed, 'x-amz-security-token', 'another-session-token');
    const missing = withoutHeader(signed, 'x-amz-security-token');
    expect(verifier().verify(other, body)).toMatchObject({
      message: API_GATEWAY_MESSAGES.invalidToken,
    });
    expect(verifier().verify(missing, body)).toMatchObject({
      message: API_GATEWAY_MESSAGES.invalidToken,
    });
  });

  it('rejects a request signed more than 15 minutes before or after the clock', async () => {
    const signed = await smithySign(TOKEN_POST);
    const late = verifier(NOW + 15 * 60_000 + 1000).verify(signed, body);
    const early = verifier(NOW - 15 * 60_000 - 1000).verify(signed, body);
    expect(late).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^Signature expired: 20260115T093000Z is now earlier than/),
    });
    expect(early).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^Signature not yet current:/),
    });
    expect(verifier(NOW + 14 * 60_000).verify(signed, body).ok).toBe(true);
  });

  it('rejects a signature scoped to another service', async () => {
    const signed = await smithySign(TOKEN_POST, { service: 'lambda' });
    expect(verifier().verify(signed, body)).toMatchObject({
      ok: false,
      message: "Credential should be scoped to correct service: 'execute-api'.",
    });
  });

  it('rejects a signature that does not cover the Host header', async () => {
    const signed = await smithySign(TOKEN_POST);
    const authorization = signed.rawHeaders[signed.rawHeaders.indexOf('authorization') + 1] ?? '';
    const unsigned = withHeader(
      signed,
      'authorization',
      authorization.replace('SignedHeaders=content-type;host;', 'SignedHeaders=content-type;'),
    );
    expect(verifier().verify(unsigned, body)).toMatchObject({
      ok: false,
      message: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    });
  });

  it('answers an unsigned request with Missing Authentication Token', () => {
    const result = verifier().verify(
      { method: 'POST', url: '/prod/token', rawHeaders: ['Host', HOST] },
      body,
    );
    expect(result).toEqual({
      ok: false,
      errorType: 'MissingAuthenticationTokenException',
      message: API_GATEWAY_MESSAGES.missingToken,
    });
  });

  it('rejects an Authorization header of another scheme without echoing it', () => {
    const result = verifier().verify(
      {
        method: 'POST',
        url: '/prod/token',
        rawHeaders: ['Host', HOST, 'Authorization', 'Bearer secret-looking-value'],
      },
      body,
    );
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).not.toContain('secret-looking-value');
  });
});

describe('Function: loadLocalIamKeys', () => {
  it('returns undefined when neither variable is set (local mode stays open)', () => {
    expect(loadLocalIamKeys({})).toBeUndefined();
  });

  it('reads inline JSON keys', () => {
    const keys = loadLocalIamKeys({ BOX_LOCAL_IAM_KEYS: JSON.stringify([TEST_KEYS.vendor]) });
    expect(keys).toEqual([TEST_KEYS.vendor]);
  });

  it('throws naming the variable, never the secret, when an entry is invalid', () => {
    const bad = JSON.stringify([{ ...TEST_KEYS.vendor, arn: 'not-an-arn' }]);
    expect(() => parseLocalIamKeys(bad, 'BOX_LOCAL_IAM_KEYS')).toThrow(
      new LocalIamConfigError('BOX_LOCAL_IAM_KEYS[0].arn must be an IAM or STS principal ARN.'),
    );
    try {
      parseLocalIamKeys(bad, 'BOX_LOCAL_IAM_KEYS');
    } catch (error) {
      expect(String(error)).not.toContain(TEST_KEYS.vendor.secretAccessKey);
    }
  });

  it('throws when both variables are set, or the file cannot be read', () => {
    expect(() =>
      loadLocalIamKeys({ BOX_LOCAL_IAM_KEYS: '[]', BOX_LOCAL_IAM_KEYS_FILE: '/x' }),
    ).toThrow(LocalIamConfigError);
    expect(() => loadLocalIamKeys({ BOX_LOCAL_IAM_KEYS_FILE: '/nonexistent/keys.json' })).toThrow(
      'Cannot read the file named by BOX_LOCAL_IAM_KEYS_FILE (ENOENT).',
    );
  });
});

// ---- over real HTTP: the local server answers like API Gateway ------------------------------

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(url: string, signed: SignedRequest, body: string | undefined): Promise<RawAnswer> {
  const target = new URL(signed.url ?? '/', url);
  const headers: [string, string][] = [];
  for (let i = 0; i + 1 < signed.rawHeaders.length; i += 2) {
    headers.push([signed.rawHeaders[i] ?? '', signed.rawHeaders[i + 1] ?? '']);
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: signed.method,
        path: `${target.pathname}${target.search}`,
        headers: Object.fromEntries(headers),
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('Function: sigV4Authenticator (local server)', () => {
  let signed: SignedBroker;
  let port: number;

  beforeAll(async () => {
    signed = await startSignedBroker();
    port = Number(new URL(signed.url).port);
  });
  afterAll(async () => {
    await signed.close();
  });

  async function signFor(plain: PlainRequest, credentials = credentialsFor(KEY)) {
    const signer = new SignatureV4({
      service: 'execute-api',
      region: 'us-east-1',
      credentials,
      sha256: Sha256,
    });
    const request = await signer.sign(
      new HttpRequest({
        method: plain.method,
        protocol: 'http:',
        hostname: '127.0.0.1',
        port,
        path: plain.path,
        headers: { host: `127.0.0.1:${port}`, ...plain.headers },
        ...(plain.body === undefined ? {} : { body: plain.body }),
      }),
    );
    return {
      method: request.method,
      url: plain.path,
      rawHeaders: Object.entries(request.headers).flat(),
    };
  }

  function credentialsFor(key: { accessKeyId: string; secretAccessKey: string }) {
    return { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey };
  }

  it('lets a signed request through as the key principal', async () => {
    const request = await signFor({ ...TOKEN_POST, path: '/token' });
    const answer = await send(signed.url, request, TOKEN_POST.body);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({
      token_type: 'bearer',
      restricted_to: [{ scope: 'item_preview' }],
    });
    expect(JSON.parse(signed.logLines.at(-1) ?? '{}')).toMatchObject({ caller_arn: KEY.arn });
  });

  it('answers an unsigned request 403 Missing Authentication Token, like API Gateway', async () => {
    const answer = await send(
      signed.url,
      { method: 'GET', url: '/token', rawHeaders: ['Host', `127.0.0.1:${port}`] },
      undefined,
    );
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body)).toEqual({ message: API_GATEWAY_MESSAGES.missingToken });
    expect(answer.headers['x-amzn-errortype']).toBe('MissingAuthenticationTokenException');
  });

  it('answers a tampered body 403 with the signature mismatch message', async () => {
    const request = await signFor({ ...TOKEN_POST, path: '/token' });
    const answer = await send(signed.url, request, '{"scope":"item_delete"}');
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body)).toEqual({ message: API_GATEWAY_MESSAGES.signatureMismatch });
  });

  it('answers a signed query whose %2B was turned into + with 403, before the handler runs', async () => {
    // Prepare: a GET /token signed with a query, as awscurl would send it.
    const signer = new SignatureV4({
      service: 'execute-api',
      region: 'us-east-1',
      credentials: credentialsFor(KEY),
      sha256: Sha256,
    });
    const request = await signer.sign(
      new HttpRequest({
        method: 'GET',
        protocol: 'http:',
        hostname: '127.0.0.1',
        port,
        path: '/token',
        query: { scope: 'item_preview+item_read' },
        headers: { host: `127.0.0.1:${port}` },
      }),
    );
    const rawHeaders = Object.entries(request.headers).flat();
    const lines = signed.logLines.length;

    // Act
    const genuine = await send(
      signed.url,
      { method: 'GET', url: '/token?scope=item_preview%2Bitem_read', rawHeaders },
      undefined,
    );
    const tampered = await send(
      signed.url,
      { method: 'GET', url: '/token?scope=item_preview+item_read', rawHeaders },
      undefined,
    );

    // Assess: the genuine one reached the handler with the literal plus (an unknown scope).
    expect(genuine.status).toBe(400);
    expect(JSON.parse(genuine.body)).toMatchObject({ error: 'invalid_scope' });
    expect(signed.logLines.length).toBe(lines + 1);
    expect(tampered.status).toBe(403);
    expect(JSON.parse(tampered.body)).toEqual({ message: API_GATEWAY_MESSAGES.signatureMismatch });
    expect(signed.logLines.length).toBe(lines + 1);
  });

  it('answers a wrong secret key 403 before the handler runs', async () => {
    const lines = signed.logLines.length;
    const request = await signFor(
      { ...TOKEN_POST, path: '/token' },
      credentialsFor({ accessKeyId: KEY.accessKeyId, secretAccessKey: 'wrong' }),
    );
    const answer = await send(signed.url, request, TOKEN_POST.body);
    expect(answer.status).toBe(403);
    expect(signed.logLines.length).toBe(lines);
  });
});
