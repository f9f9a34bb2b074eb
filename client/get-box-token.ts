import type { TokenResponse } from '../lambda/contract.js';
import { BrokerClient, type BrokerClientOptions } from './broker-client.js';
import { BrokerClientError } from './errors.js';
import type { TokenOptions } from './token-options.js';

/** Options of {@link getBoxToken}: where the broker is, who calls, and what to ask for. */
export interface GetBoxTokenOptions
  extends TokenOptions,
    Pick<BrokerClientOptions, 'region' | 'credentials' | 'profile'> {
  /** The API's invoke URL with its stage. @default BOX_TOKEN_BROKER_URL */
  url?: string | undefined;
}

/** One client per (url, region, profile) for the default credentials, so they share a cache. */
const sharedClients = new Map<string, BrokerClient>();
/** Given credentials get their own clients, dropped with the credentials object. */
const clientsByCredentials = new WeakMap<object, Map<string, BrokerClient>>();

/**
 * A Box token from the broker at `url`, signed with the default AWS credentials (or the given
 * ones), cached in memory until it nears expiry. Throws {@link BrokerClientError}.
 *
 * @example
 * const { access_token } = await getBoxToken({ url: process.env.BOX_TOKEN_BROKER_URL });
 */
export async function getBoxToken(options: GetBoxTokenOptions = {}): Promise<TokenResponse> {
  const { url, region, credentials, profile, ...token } = options;
  const target = url ?? process.env.BOX_TOKEN_BROKER_URL;
  if (target === undefined || target === '') {
    throw new BrokerClientError('invalid_argument', 'Give url, or set BOX_TOKEN_BROKER_URL.');
  }
  const key = JSON.stringify([target, region ?? '', profile ?? '']);
  const registry = credentials === undefined ? sharedClients : registryFor(credentials as object);
  let client = registry.get(key);
  if (client === undefined) {
    client = new BrokerClient({
      url: target,
      ...(region === undefined ? {} : { region }),
      ...(credentials === undefined ? {} : { credentials }),
      ...(profile === undefined ? {} : { profile }),
    });
    registry.set(key, client);
  }
  return client.getToken(token);
}

function registryFor(credentials: object): Map<string, BrokerClient> {
  let registry = clientsByCredentials.get(credentials);
  if (registry === undefined) {
    registry = new Map();
    clientsByCredentials.set(credentials, registry);
  }
  return registry;
}
