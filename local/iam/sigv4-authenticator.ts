import type { APIGatewayProxyResult } from 'aws-lambda';
import type { LocalAuthenticator } from '../api-gateway-adapter.js';
import type { SigV4Verifier } from './sigv4-verifier.js';

/**
 * The local server's hook: verified requests carry the key's principal, anything else gets
 * API Gateway's 403 (with its `x-amzn-ErrorType` header) without reaching the handler.
 */
export function sigV4Authenticator(verifier: SigV4Verifier): LocalAuthenticator {
  return (request, body) => {
    const result = verifier.verify(request, body);
    if (result.ok) return { identity: result.identity };
    return { reject: gatewayForbidden(result.errorType, result.message) };
  };
}

function gatewayForbidden(errorType: string, message: string): APIGatewayProxyResult {
  return {
    statusCode: 403,
    headers: { 'Content-Type': 'application/json', 'x-amzn-ErrorType': errorType },
    body: JSON.stringify({ message }),
  };
}
