/**
 * The `box-token` command: prints a Box token from the broker, or the whole response with
 * `--json`. Exit codes tell shell scripts which class of failure happened ({@link EXIT_CODES}).
 */
import { parseArgs } from 'node:util';
import { BrokerClient, type BrokerClientOptions } from './broker-client.js';
import { BrokerClientError } from './errors.js';
import type { TokenOptions } from './token-options.js';

/**
 * Exit codes of `box-token`, one per class of failure. A retryable failure is always 6,
 * whatever its code, so `[ $? -eq 6 ] && sleep 5 && retry` is safe.
 */
export const EXIT_CODES = {
  /** The token (or JSON) was printed. */
  ok: 0,
  /** Unexpected: `server_error`, `unexpected_response`. */
  failure: 1,
  /** Bad command line (unknown option, missing URL, bad number). */
  usage: 2,
  /** The broker refused the request as asked: `invalid_request`, `invalid_scope`. */
  rejected: 3,
  /** Not allowed or not there: `access_denied` (access policy), `not_authorized` (API Gateway: signature, IAM, resource policy), `tenant_not_found`, `tenant_suspended`. */
  denied: 4,
  /** Setup is wrong: `misconfigured`, `box_credentials_rejected`, `not_found`, `method_not_allowed`, `aws_credentials_unavailable`. */
  configuration: 5,
  /** Temporary, retry later: every retryable error (`box_unavailable`, `box_timeout`, `throttled`, `network_error`, …). */
  temporary: 6,
} as const;

/** The exit code for a failure. */
export function exitCodeFor(error: BrokerClientError): number {
  if (error.retryable) return EXIT_CODES.temporary;
  switch (error.code) {
    case 'invalid_argument':
      return EXIT_CODES.usage;
    case 'invalid_request':
    case 'invalid_scope':
      return EXIT_CODES.rejected;
    case 'access_denied':
    case 'not_authorized':
    case 'tenant_not_found':
    case 'tenant_suspended':
      return EXIT_CODES.denied;
    case 'misconfigured':
    case 'box_credentials_rejected':
    case 'not_found':
    case 'method_not_allowed':
    case 'aws_credentials_unavailable':
      return EXIT_CODES.configuration;
    default:
      return EXIT_CODES.failure;
  }
}

export const USAGE = `Usage: box-token [options]

Prints a Box access token from box-token-broker, signed with your AWS credentials.

Options:
  --url URL          broker URL with stage (default: $BOX_TOKEN_BROKER_URL)
  --user ID          a token for this Box user (default: the enterprise service account)
  --scope SCOPES     downscope to these space-delimited scopes (repeatable)
  --resource ITEM    restrict to https://api.box.com/2.0/files/ID (or folders/ID), file:ID, folder:ID
  --shared-link URL  restrict to a Box shared link
  --min-ttl SECONDS  the token must live at least this long
  --tenant ID        the tenant (Box enterprise) to ask for (default: the deployment's default)
  --region REGION    signing region (default: from the URL, else $AWS_REGION)
  --profile NAME     AWS profile (default: the default credential chain)
  --json             print the broker's JSON response instead of the bare token
  -h, --help         show this help

A loopback URL (npm start) is called unsigned when no AWS credentials are found, with a warning
on stderr; any other URL must be https and is always signed.

Exit codes: 0 ok, 1 unexpected failure, 2 usage, 3 request rejected (invalid_request,
invalid_scope), 4 denied or no such tenant (access_denied, not_authorized, tenant_not_found, tenant_suspended),
5 configuration (misconfigured, box_credentials_rejected, aws_credentials_unavailable, …),
6 temporary: retry later.`;

/** Where the command writes, and what it reads; injectable for tests. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
}

/** Runs `box-token` with `args` (without `node` and the script); resolves to the exit code. */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(args);
  } catch (error) {
    io.stderr(
      `box-token: ${error instanceof Error ? error.message : 'bad arguments'}\n\n${USAGE}\n`,
    );
    return EXIT_CODES.usage;
  }
  const { values } = parsed;
  if (values.help === true) {
    io.stdout(`${USAGE}\n`);
    return EXIT_CODES.ok;
  }
  const json = values.json === true;
  try {
    const { client, token } = buildRequest(values, io);
    const response = await client.getToken(token);
    io.stdout(json ? `${JSON.stringify(response)}\n` : `${response.access_token}\n`);
    return EXIT_CODES.ok;
  } catch (error) {
    const failure =
      error instanceof BrokerClientError
        ? error
        : new BrokerClientError('unexpected_response', 'box-token failed unexpectedly.', {
            cause: error,
          });
    report(failure, json, io);
    return exitCodeFor(failure);
  }
}

function parseCommandLine(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    strict: true,
    allowPositionals: false,
    options: {
      url: { type: 'string' },
      user: { type: 'string' },
      scope: { type: 'string', multiple: true },
      resource: { type: 'string' },
      'shared-link': { type: 'string' },
      'min-ttl': { type: 'string' },
      tenant: { type: 'string' },
      region: { type: 'string' },
      profile: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

type CliValues = ReturnType<typeof parseCommandLine>['values'];

function buildRequest(values: CliValues, io: CliIo): { client: BrokerClient; token: TokenOptions } {
  const env = io.env;
  const url = values.url ?? env.BOX_TOKEN_BROKER_URL;
  if (url === undefined || url === '') {
    throw new BrokerClientError('invalid_argument', 'Give --url or set BOX_TOKEN_BROKER_URL.');
  }
  const options: BrokerClientOptions = {
    url,
    env,
    warn: (message) => io.stderr(`box-token: warning: ${message}\n`),
  };
  if (values.region !== undefined) options.region = values.region;
  if (values.profile !== undefined) options.profile = values.profile;
  const token: TokenOptions = {};
  if (values.user !== undefined) token.subject = { type: 'user', id: values.user };
  if (values.scope !== undefined) token.scope = values.scope.join(' ');
  if (values.resource !== undefined) token.resource = values.resource;
  if (values['shared-link'] !== undefined) token.sharedLink = values['shared-link'];
  if (values.tenant !== undefined) token.tenant = values.tenant;
  if (values['min-ttl'] !== undefined) {
    if (!/^\d{1,6}$/.test(values['min-ttl'])) {
      throw new BrokerClientError(
        'invalid_argument',
        '--min-ttl must be a whole number of seconds.',
      );
    }
    token.minTtl = Number(values['min-ttl']);
  }
  return { client: new BrokerClient(options), token };
}

function report(error: BrokerClientError, json: boolean, io: CliIo): void {
  const details = [
    error.retryable
      ? `retryable${error.retryAfterSeconds === undefined ? '' : ` after ${error.retryAfterSeconds} s`}`
      : 'not retryable',
    ...(error.status === undefined ? [] : [`HTTP ${error.status}`]),
    ...(error.requestId === undefined ? [] : [`request ${error.requestId}`]),
  ];
  io.stderr(`box-token: ${error.code}: ${error.message} (${details.join(', ')})\n`);
  if (error.code === 'invalid_argument') io.stderr(`\n${USAGE}\n`);
  if (json) {
    io.stdout(
      `${JSON.stringify({
        error: error.code,
        error_description: error.message,
        retryable: error.retryable,
        retry_after: error.retryAfterSeconds ?? null,
        status: error.status ?? null,
        request_id: error.requestId ?? null,
      })}\n`,
    );
  }
}
