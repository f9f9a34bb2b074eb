/**
 * The client package's version, sent in `User-Agent` so the broker's access log shows which
 * client a caller runs. test/client-package.test.ts checks it equals client/package.json's.
 */
export const CLIENT_VERSION = '1.1.0';

/** `User-Agent` of every broker call. */
export const USER_AGENT = `box-token-broker-client/${CLIENT_VERSION} node/${process.versions.node}`;
