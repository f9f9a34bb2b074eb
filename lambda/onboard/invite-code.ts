/**
 * Onboarding codes (contract v1.3): 256 random bits, base64url (43 characters), carried in the
 * link's fragment so no server or proxy log sees them. Only the code's SHA-256 is ever stored: a
 * leaked table does not hold a usable link.
 */
import { createHash, randomBytes } from 'node:crypto';

/** Random bytes of a code: 256 bits, twice the contract's minimum of 128. */
const CODE_BYTES = 32;

/** A well-formed code: exactly what {@link newInviteCode} makes. */
export const INVITE_CODE_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** Invitation lifetime bounds, in hours (contract v1.3). */
export const INVITE_HOURS = { default: 72, min: 1, max: 168 } as const;

/** A fresh code. */
export function newInviteCode(): string {
  return randomBytes(CODE_BYTES).toString('base64url');
}

/** What the store keys an invitation by: the code's SHA-256, hex. */
export function inviteCodeHash(code: string): string {
  return createHash('sha256').update(code, 'utf8').digest('hex');
}

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]']);

/**
 * The link an invitation is sent as: the broker's base URL (API stage URL, local server) with
 * `/onboard` and the code in the fragment. A trailing slash or a `/onboard` already given is
 * accepted; a query or fragment is refused (it would end up beside the code), and so is plain
 * HTTP to anything but this machine.
 */
export function inviteLink(brokerUrl: string, code: string): string {
  const url = new URL(brokerUrl);
  // The page posts the client secret to this origin: plain HTTP only where it never leaves the
  // machine (the local broker).
  const loopback = LOOPBACK_HOSTS.has(url.hostname) || /^127(\.\d{1,3}){3}$/.test(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new TypeError('the broker URL must be https (http only on localhost)');
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new TypeError('the broker URL must not carry a query, a fragment or credentials');
  }
  const base = url.pathname.replace(/\/+$/, '').replace(/\/onboard$/, '');
  return `${url.origin}${base}/onboard#${code}`;
}
