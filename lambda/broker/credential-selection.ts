/**
 * Which secret version the broker mints with: the rotation state machine. One instance per
 * tenant (its secret). It only keeps state: the token supply asks Box and tells it the outcome.
 *
 * States: serving with the current version (`AWSCURRENT`), or falling back to the previous one
 * (`AWSPREVIOUS`) because Box rejects the current. Only proof moves it: a client-credentials
 * grant that Box accepts proves a version good ({@link accepted}); an enterprise grant that Box
 * answers `invalid_client` or `invalid_grant` proves it wrong ({@link rejected}; Box documents
 * both for a wrong or reset secret: docs/box.md). A caller's inputs (a user subject,
 * an exchange) prove nothing about the secret, so they never move it.
 */
import type { Deadline } from '../deadline.js';
import type { RequestTrace } from '../trace/request-trace.js';
import type { BoxCredentials, CredentialsSource } from './credentials.js';
import { sameCredentials } from './credentials.js';

export interface CredentialSelectorOptions {
  source: CredentialsSource;
  /** While falling back, how often the current version is tried again. */
  recheckMs: number;
  now?: () => number;
}

/** Serving from `AWSPREVIOUS` because Box rejects the current secret version. */
interface Fallback {
  previous: BoxCredentials;
  rejectedVersionId: string;
  recheckAtMs: number;
}

export class CredentialSelector {
  private active: BoxCredentials | undefined;
  private fallback: Fallback | undefined;
  /** The fallback whose re-check is running (one request does it), if any. */
  private rechecking: Fallback | undefined;
  private readonly now: () => number;

  constructor(private readonly options: CredentialSelectorOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The last proven credentials, without I/O: the warm path's cache key comes from them. */
  known(): BoxCredentials | undefined {
    return this.active;
  }

  /** Whether tokens of `versionId` are being served from `AWSPREVIOUS`. */
  isFallback(versionId: string): boolean {
    return this.fallback !== undefined && this.fallback.previous.versionId === versionId;
  }

  /** Credentials to call Box with now: the current version, or the previous during a fallback. */
  async select(deadline: Deadline, trace: RequestTrace): Promise<BoxCredentials> {
    const current = await this.options.source.get(deadline);
    const fallback = this.fallback;
    const credentials =
      fallback !== undefined && fallback.rejectedVersionId === current.versionId
        ? fallback.previous
        : current;
    trace.secretVersionId = credentials.versionId;
    if (credentials.createdAtMs !== undefined) {
      trace.secretAgeSeconds = Math.max(
        0,
        Math.floor((this.now() - credentials.createdAtMs) / 1000),
      );
    }
    return credentials;
  }

  /**
   * Box accepted a client-credentials grant with `credentials`: they are good. True when they
   * replace another proven version, whose tokens are then suspect (the caller drops them).
   */
  accepted(credentials: BoxCredentials): boolean {
    const fallback = this.fallback;
    if (fallback !== undefined && credentials.versionId !== fallback.previous.versionId) {
      this.fallback = undefined;
    }
    const before = this.active;
    this.active = credentials;
    return before !== undefined && before.versionId !== credentials.versionId;
  }

  /**
   * Box answered `invalid_client` or `invalid_grant` to an enterprise grant with `credentials`. The secret may have
   * just been rotated: read it again (rate-limited by the source) and try that if it changed;
   * otherwise fall back to `AWSPREVIOUS`, the last known good. Undefined: nothing left to try.
   */
  async rejected(
    credentials: BoxCredentials,
    deadline: Deadline,
    trace: RequestTrace,
  ): Promise<BoxCredentials | undefined> {
    const fallback = this.fallback;
    if (fallback !== undefined) {
      // The last known good is rejected too: nothing left to fall back on.
      if (credentials.versionId === fallback.previous.versionId) {
        this.fallback = undefined;
        return undefined;
      }
      // Another request already fell back from this very version.
      if (credentials.versionId === fallback.rejectedVersionId) return fallback.previous;
    }
    const current = await this.options.source.forceRefresh(deadline);
    trace.credentialsReread = true;
    if (!sameCredentials(current, credentials)) return current;
    const previous = await this.options.source.previous(deadline);
    if (previous === undefined || sameCredentials(previous, current)) return undefined;
    this.fallback = {
      previous,
      rejectedVersionId: current.versionId,
      recheckAtMs: this.now() + this.options.recheckMs,
    };
    return previous;
  }

  /** Whether a fallback's periodic re-check of the current version is due. Memory only. */
  recheckDue(): boolean {
    return this.fallback !== undefined && this.now() >= this.fallback.recheckAtMs;
  }

  /**
   * Starts a fallback's re-check of the current version (memory only): false when none is due or
   * another request is doing it. The one that starts it moves the next re-check on, reads the
   * current version ({@link recheckCandidate}), proves it at Box (success is {@link accepted},
   * which ends the fallback) and calls {@link endRecheck}. A failure, whatever it is, changes
   * nothing but the time of the next re-check: the cached tokens stay as they are.
   */
  beginRecheck(): boolean {
    const fallback = this.fallback;
    if (fallback === undefined || this.rechecking !== undefined) return false;
    if (this.now() < fallback.recheckAtMs) return false;
    fallback.recheckAtMs = this.now() + this.options.recheckMs;
    this.rechecking = fallback;
    return true;
  }

  /** The current version to re-check; undefined when the fallback ended meanwhile. */
  async recheckCandidate(deadline: Deadline): Promise<BoxCredentials | undefined> {
    const current = await this.options.source.get(deadline);
    return this.fallback === this.rechecking ? current : undefined;
  }

  /** The re-check is over, whatever its outcome. */
  endRecheck(): void {
    this.rechecking = undefined;
  }
}
