/**
 * API Gateway REST proxy events as the deployed API would send them after IAM auth, built with
 * the local server's adapter so the bench and `npm start` agree on the event shape.
 */
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { lambdaContext, toApiGatewayEvent } from '../../local/api-gateway-adapter.js';

/** A caller as API Gateway reports it after SigV4. */
export interface BenchCaller {
  userArn: string;
  accountId: string;
  principalOrgId?: string;
}

/** The ETL role of the bench policy (downscoped folder tokens). */
export const ETL_CALLER: BenchCaller = {
  userArn: 'arn:aws:sts::111122223333:assumed-role/etl-nightly/job-42',
  accountId: '111122223333',
  principalOrgId: 'o-a1b2c3d4e5',
};

/** The application role of the bench policy (enterprise and user tokens). */
export const APP_CALLER: BenchCaller = {
  userArn: 'arn:aws:sts::111122223333:assumed-role/app-backend/i-0abc',
  accountId: '111122223333',
  principalOrgId: 'o-a1b2c3d4e5',
};

/**
 * A realistic policy: four rules, the ETL rule with scope and resource ceilings, the app rule
 * last so that enterprise requests walk every rule before they match.
 */
export const BENCH_POLICY = {
  version: 1,
  rules: [
    {
      id: 'reports-etl',
      callers: ['arn:aws:iam::111122223333:role/etl-*'],
      subjects: ['enterprise'],
      scopes: ['item_preview', 'item_download'],
      resources: ['folder:123', 'file:456'],
    },
    { id: 'ops-account', callers: ['account:444455556666'], subjects: ['enterprise'] },
    {
      id: 'org-preview',
      callers: ['org:o-zzzzzzzzzz'],
      subjects: ['enterprise'],
      scopes: ['item_preview'],
    },
    {
      id: 'app-backend',
      callers: ['arn:aws:iam::111122223333:role/app-*'],
      subjects: ['enterprise', 'user:*'],
    },
  ],
} as const;

/** One prepared invocation: the event and the context Lambda would pass. */
export interface PreparedInvocation {
  event: APIGatewayProxyEvent;
  context: Context;
}

/** Builds the event of one `POST /token` with `body` (JSON text, or '' for none) from `caller`. */
export function tokenEvent(body: string, caller: BenchCaller): PreparedInvocation {
  const request = new IncomingMessage(new Socket());
  request.method = 'POST';
  request.url = '/token';
  request.headers = {
    host: 'abc123.execute-api.us-east-1.amazonaws.com',
    'content-type': 'application/json',
    'user-agent': 'aws-sdk-js/3 ua/2.1 os/linux lang/js md/nodejs#24',
    'x-amz-date': '20260101T000000Z',
    'x-amz-security-token': 'FAKE-SESSION-TOKEN-FOR-BENCH',
    // API Gateway passes the SigV4 header through; the broker must ignore (and never log) it.
    authorization:
      'AWS4-HMAC-SHA256 Credential=ASIAFAKE/20260101/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000',
  };
  const event = toApiGatewayEvent(request, body, caller);
  return { event, context: lambdaContext(event.requestContext.requestId, 'api') };
}

/** `count` invocations of the same request, each with its own request ID. */
export function tokenEvents(
  body: string,
  caller: BenchCaller,
  count: number,
): PreparedInvocation[] {
  return Array.from({ length: count }, () => tokenEvent(body, caller));
}
