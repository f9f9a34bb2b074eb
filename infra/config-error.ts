/**
 * A deployment configuration the app refuses to synthesize (a context value, a construct prop or
 * the access policy). The message says what to fix; the app prints it without a stack trace.
 */
export class ConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigError';
  }
}
