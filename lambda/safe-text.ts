/**
 * Text from outside (Box's error descriptions, a setup check's evidence) made safe to show a
 * caller, write to a log or put on a bus. A leaf: the Box client and the health events both use it.
 */

/**
 * Each of `secrets` masked as `[redacted]` (longest first, so a secret that contains another is
 * masked whole), control characters and runs of whitespace collapsed, at most `max` characters.
 */
export function cleanText(raw: string, secrets: readonly string[], max: number): string {
  let text = raw;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret !== '') text = text.split(secret).join('[redacted]');
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point.
  text = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ');
  text = text.replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
