import { ROUTES } from '../lambda/contract.js';
import { BrokerClientError } from './errors.js';
import { isLoopbackUrl } from './request-signer.js';

/**
 * The broker's stage URL (`…/prod/`) from what a user gives: tolerates a trailing slash or a
 * pasted `…/prod/token`; refuses plain http to another machine, a query, a fragment or
 * credentials in the URL.
 */
export function brokerBaseUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BrokerClientError('invalid_argument', 'The broker URL is not an absolute URL.');
  }
  // Tokens travel in the response: plain http only to a broker on this machine.
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && isLoopbackUrl(parsed))) {
    throw new BrokerClientError(
      'invalid_argument',
      'The broker URL must use https (http only for a loopback host).',
    );
  }
  if (
    parsed.search !== '' ||
    parsed.hash !== '' ||
    parsed.username !== '' ||
    parsed.password !== ''
  ) {
    throw new BrokerClientError(
      'invalid_argument',
      'The broker URL must not carry a query, fragment or credentials.',
    );
  }
  const path = parsed.pathname.replace(/\/+$/, '').replace(new RegExp(`${ROUTES.token}$`), '');
  parsed.pathname = `${path}/`;
  return parsed;
}
