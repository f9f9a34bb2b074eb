/**
 * Which secret version the broker mints with: the rotation state machine. One instance per secret
 * (per future tenant).
 *
 * States: serving with the current version (`AWSCURRENT`), or falling back to the previous one
 * (`AWSPREVIOUS`) because Box rejects the current. Only proof moves it: a client-credentials
 * grant that Box accepts proves a version good ({@link accepted}); an enterprise grant that Box
 * answers `invalid_client` proves it wrong ({@link rejected}). A caller's inputs (a user subject,
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
  /** Called when a newly proven version replaces the active one (drop the old version's tokens). */
  onSwitch: (versionId: string) => void;
  now?: () => number;
}

/** Serving from `AWSPREVIOUS` because Box rejects the current secret version. */
interface Fallback {
  previous: BoxCredentials;
  rejectedVersionId: string;
  recheckAtMs: number;
}

/** Tries credentials at Box with an enterprise grant; rejects as Box did. */
export type CredentialsProbe = (credentials: BoxCredentials) => Promise<void>;

export class CredentialSelector {
  private active: BoxCredentials | undefined;
  private fallback: Fallback | undefined;
  private recheckInFlight: Promise<void> | undefined;
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

  /** Box accepted a client-credentials grant with `credentials`: they are good. */
  accepted(credentials: BoxCredentials): void {
    const fallback = this.fallback;
    if (fallback !== undefined && credentials.versionId !== fallback.previous.versionId) {
      this.fallback = undefined;
    }
    const before = this.active;
    this.active = credentials;
    if (before !== undefined && before.versionId !== credentials.versionId) {
      this.options.onSwitch(credentials.versionId);
    }
  }

  /**
   * Box answered `invalid_client` to an enterprise grant with `credentials`. The secret may have
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
   * Gives the current version another chance with `probe` (one request does it; the others keep
   * being served meanwhile). Success ends the fallback; a failure, whatever it is, changes
   * nothing but the time of the next re-check: the cached tokens stay as they are.
   */
  async recheck(deadline: Deadline, trace: RequestTrace, probe: CredentialsProbe): Promise<void> {
    const fallback = this.fallback;
    if (fallback === undefined || this.recheckInFlight !== undefined) return;
    fallback.recheckAtMs = this.now() + this.options.recheckMs;
    const attempt = async () => {
      const current = await this.options.source.get(deadline);
      if (this.fallback !== fallback) return;
      await probe(current);
      this.accepted(current);
    };
    this.recheckInFlight = attempt()
      .catch(() => {
        // Still rejected, or Box or Secrets Manager failed: keep serving from AWSPREVIOUS.
        trace.fallbackRecheckFailed = true;
      })
      .finally(() => {
        this.recheckInFlight = undefined;
      });
    await this.recheckInFlight;
  }
}
