/**
 * The `User-Agent` every Box call carries, so Box (and anyone reading its logs with us) can tell
 * the broker's traffic apart. The version is a constant rather than an import of package.json:
 * the bundle then carries one string instead of the whole manifest. A test keeps it equal to
 * package.json's `version`.
 */

/** The broker's version, as in package.json. */
export const BROKER_VERSION = '0.1.0';

/** `box-token-broker/<version>`. */
export const BOX_USER_AGENT = `box-token-broker/${BROKER_VERSION}`;
