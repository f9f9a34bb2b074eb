/**
 * The naive alternative: what a service does when it "just calls Box": read the secret and ask
 * Box for a token on every request. Same fakes, same event, no cache, no policy, no log line.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

export interface NaiveHandlerOptions {
  secretsManager: SecretsManagerClient;
  secretId: string;
  boxApiUrl: string;
}

/** A handler that calls GetSecretValue and `POST /oauth2/token` for every request. */
export function createNaiveHandler(options: NaiveHandlerOptions) {
  return async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    if (event.body !== null && event.body !== '') JSON.parse(event.body);
    const secret = await options.secretsManager.send(
      new GetSecretValueCommand({ SecretId: options.secretId }),
    );
    const credentials = JSON.parse(secret.SecretString ?? '{}') as Record<string, string>;
    const response = await fetch(`${options.boxApiUrl}/oauth2/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: credentials.clientId ?? '',
        client_secret: credentials.clientSecret ?? '',
        box_subject_type: 'enterprise',
        box_subject_id: credentials.enterpriseId ?? '',
      }),
    });
    const token = (await response.json()) as Record<string, unknown>;
    return {
      statusCode: response.status,
      headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
      body: JSON.stringify(token),
    };
  };
}
