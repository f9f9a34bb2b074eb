/**
 * The one reading of a request's query string that the local server uses for both the SigV4
 * check and the event it hands to the handler.
 *
 * Why one reading: if the signature check and the handler decode a query differently, bytes the
 * signature does not distinguish reach the handler as different values, so a captured signed
 * request can be altered without breaking its signature. The classic case is `+`: read literally
 * by one and as a space by the other, `scope=a%2Bb` (signed as `a+b`) could be replayed as
 * `scope=a+b` and reach the handler as `a b`.
 *
 * API Gateway (REST, proxy integration) decodes a query as `application/x-www-form-urlencoded`:
 * `+` is a space (`?sort=-+createdAt` arrives as `"- createdAt"` in `queryStringParameters`),
 * `%2B` is a plus. Its SigV4 check canonicalises the same decoded names and values (RFC 3986
 * encoding, space as `%20`), so `a+b` and `a%20b` are one request and `a%2Bb` another. This
 * module does exactly that with the WHATWG form-urlencoded parser, and the canonical query is
 * built from its output, so what is signed is by construction what the handler reads.
 */

/** One `name=value` pair of a query, decoded; order and repeats as on the request line. */
export type QueryPair = readonly [name: string, value: string];

/**
 * The decoded pairs of the query in `requestTarget` (path and query as on the request line, or
 * just the part after `?`): `+` is a space, `%XX` a byte, invalid escapes stay literal, bytes
 * that are not UTF-8 become U+FFFD. Pairs are returned as a list, never as an object, so a
 * caller-chosen name such as `__proto__` is just a string.
 */
export function queryPairsOf(requestTarget: string): QueryPair[] {
  const start = requestTarget.indexOf('?');
  const raw = start === -1 ? '' : requestTarget.slice(start + 1);
  // The fragment never reaches a server, but a hand-made request line may carry one.
  const hash = raw.indexOf('#');
  return [...new URLSearchParams(hash === -1 ? raw : raw.slice(0, hash))];
}

/**
 * SigV4's canonical query string for `pairs`: each name and value RFC 3986-encoded (space as
 * `%20`), sorted by name then value (code-unit order of the encoded text, as AWS does).
 */
export function canonicalQueryOf(pairs: readonly QueryPair[]): string {
  const encoded = pairs.map(([name, value]) => [uriEncode(name), uriEncode(value)] as const);
  encoded.sort(([a, av], [b, bv]) => (a === b ? compare(av, bv) : compare(a, b)));
  return encoded.map(([name, value]) => `${name}=${value}`).join('&');
}

/** RFC 3986 encoding as SigV4 defines it: everything but A-Z a-z 0-9 - _ . ~ as %XX (UTF-8). */
export function uriEncode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~]/.test(char)
      ? char
      : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
