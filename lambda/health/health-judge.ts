/**
 * The transition logic: given a tenant's last judged health and what was just observed, whether
 * the tenant changes state, and the event that announces it. Pure: the store makes it fleet-wide,
 * the monitor announces it.
 *
 * What each observation may decide:
 * - a failed scheduled setup check makes a tenant unhealthy (`setup_check`); a passed one makes
 *   it healthy whatever made it unhealthy (the check proves the credentials too);
 * - Box refusing the current and previous credentials makes it unhealthy
 *   (`credentials_rejected`); Box accepting a grant makes it healthy only from that reason (a
 *   grant says nothing about the scopes or the settings a failed setup check found wrong).
 */
import type { TenantHealthRecord } from '../state/ports.js';
import {
  HEALTH_DETAIL_TYPES,
  type HealthEvent,
  type HealthEvidence,
  type HealthReason,
  type HealthStep,
  healthEvent,
} from './health-event.js';

/** What the broker just learnt about a tenant. */
export type HealthObservation =
  | { kind: 'setup_check_passed'; tenant: string }
  | {
      kind: 'setup_check_failed';
      tenant: string;
      steps: HealthStep[];
      evidence: HealthEvidence[];
    }
  /** Box refused every version of the tenant's credentials; `boxError` is Box's error code. */
  | { kind: 'credentials_rejected'; tenant: string; boxError: string }
  /** Box accepted a client-credentials grant with the tenant's credentials. */
  | { kind: 'credentials_accepted'; tenant: string };

/** A transition to make: the record to write (unless another environment did) and its event. */
export interface HealthTransition {
  next: Omit<TenantHealthRecord, 'announced' | 'event' | 'claimedUntilMs'>;
  /** Condition on the current record: unhealthy for this reason. */
  fromReason?: HealthReason;
  /**
   * The event; undefined for a recovery from an unhealthy state that was never announced
   * and is not being announced (subscribers never heard of it, so they hear of neither).
   */
  event: HealthEvent | undefined;
}

/** The transition `observation` makes from `current` at `nowMs`; undefined = none. */
export function judge(
  current: TenantHealthRecord | undefined,
  observation: HealthObservation,
  nowMs: number,
): HealthTransition | undefined {
  const tenant = observation.tenant;
  const since = new Date(nowMs).toISOString();
  const unhealthy = current?.state === 'unhealthy';
  switch (observation.kind) {
    case 'setup_check_failed': {
      if (unhealthy) return undefined;
      const detail = {
        tenant,
        reason: 'setup_check' as const,
        since,
        steps: observation.steps,
        ...(observation.evidence.length > 0 ? { evidence: observation.evidence } : {}),
      };
      return {
        next: { tenant, state: 'unhealthy', reason: 'setup_check', sinceMs: nowMs },
        event: healthEvent(HEALTH_DETAIL_TYPES.unhealthy, detail),
      };
    }
    case 'credentials_rejected': {
      if (unhealthy) return undefined;
      const evidence: HealthEvidence[] = [
        { request: 'POST /oauth2/token (client_credentials)', code: observation.boxError },
      ];
      return {
        next: { tenant, state: 'unhealthy', reason: 'credentials_rejected', sinceMs: nowMs },
        event: healthEvent(HEALTH_DETAIL_TYPES.unhealthy, {
          tenant,
          reason: 'credentials_rejected',
          since,
          evidence,
        }),
      };
    }
    case 'setup_check_passed':
    case 'credentials_accepted': {
      if (current === undefined || !unhealthy) return undefined;
      const reason = reasonOf(current);
      if (observation.kind === 'credentials_accepted' && reason !== 'credentials_rejected') {
        return undefined;
      }
      return {
        next: { tenant, state: 'healthy', reason, sinceMs: nowMs },
        ...(observation.kind === 'credentials_accepted' ? { fromReason: reason } : {}),
        // Announced, or being announced right now by another environment (its claim is live).
        event:
          current.announced || (current.claimedUntilMs ?? 0) > nowMs
            ? healthEvent(HEALTH_DETAIL_TYPES.recovered, { tenant, reason, since })
            : undefined,
      };
    }
  }
}

/** The stored reason, as one of the contract's (a record from a newer version reads as a check). */
export function reasonOf(record: TenantHealthRecord): HealthReason {
  return record.reason === 'credentials_rejected' ? 'credentials_rejected' : 'setup_check';
}
