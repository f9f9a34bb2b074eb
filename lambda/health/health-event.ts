/**
 * Tenant health events (contract v1.2): what the broker puts on the vendor's EventBridge bus when
 * a tenant's Box connection breaks and when it works again. The detail carries IDs, Box's error
 * codes, the failed setup steps and their fixes: never a client secret, a token or a client ID.
 */
import { cleanText } from '../safe-text.js';

/** The `source` of every health event (rules match on it). */
export const HEALTH_EVENT_SOURCE = 'box-token-broker';

/** The `detail-type` of each transition. */
export const HEALTH_DETAIL_TYPES = {
  unhealthy: 'Box Tenant Unhealthy',
  recovered: 'Box Tenant Recovered',
} as const;

export type HealthDetailType = (typeof HEALTH_DETAIL_TYPES)[keyof typeof HEALTH_DETAIL_TYPES];

/**
 * Why a tenant is unhealthy. `setup_check`: the scheduled setup check failed (the failed steps,
 * with their fixes). `credentials_rejected`: live traffic saw Box refuse the tenant's current and
 * previous credentials.
 */
export const HEALTH_REASONS = ['setup_check', 'credentials_rejected'] as const;

export type HealthReason = (typeof HEALTH_REASONS)[number];

/** One failed setup step: the words `box-token-broker check` prints for it. */
export interface HealthStep {
  /** The checklist step (`credentials`, `authorized`, `scope:item_upload` …). */
  id: string;
  title: string;
  /** What to change, where; null when the step has no fix of its own. */
  fix: string | null;
}

/** Box's answer that decided it: the call, Box's status and error code, its cleaned message. */
export interface HealthEvidence {
  request: string;
  status?: number;
  code?: string;
  message?: string;
}

/** The `detail` of a health event. */
export interface HealthEventDetail {
  tenant: string;
  /** Why the tenant is (for `Recovered`: was) unhealthy. */
  reason: HealthReason;
  /** `setup_check`: the failed steps, in checklist order, with their fixes. */
  steps?: HealthStep[];
  /** Box's answers behind the verdict (`credentials_rejected`: Box's error code). */
  evidence?: HealthEvidence[];
  /** ISO 8601 time of the transition: when the tenant went bad, or when it recovered. */
  since: string;
}

export interface HealthEvent {
  detailType: HealthDetailType;
  detail: HealthEventDetail;
}

/** Most steps and evidence items an event carries (an EventBridge entry is at most 256 KB). */
const MAX_ITEMS = 20;
/** Longest fix text carried (the longest fix of the checklist is under 1,000 characters). */
const MAX_FIX_CHARS = 2000;
/** Longest other text (a title, a request, Box's message). */
const MAX_TEXT_CHARS = 300;
/** Box error codes and step IDs as the broker writes them; anything else is dropped. */
const CODE_SHAPE = /^[A-Za-z0-9_:.-]{1,128}$/;

/**
 * The event of a transition, every free text cleaned: `secrets` (the tenant's client ID and
 * secret, tokens) masked wherever they appear, control characters gone, lengths bounded.
 */
export function healthEvent(
  detailType: HealthDetailType,
  detail: HealthEventDetail,
  secrets: readonly string[] = [],
): HealthEvent {
  const clean = (text: string, max = MAX_TEXT_CHARS) => cleanText(text, secrets, max);
  const out: HealthEventDetail = {
    tenant: detail.tenant,
    reason: detail.reason,
    since: detail.since,
  };
  if (detail.steps !== undefined && detail.steps.length > 0) {
    out.steps = detail.steps
      .filter((step) => CODE_SHAPE.test(step.id))
      .slice(0, MAX_ITEMS)
      .map((step) => ({
        id: step.id,
        title: clean(step.title),
        fix: step.fix === null ? null : clean(step.fix, MAX_FIX_CHARS),
      }));
  }
  if (detail.evidence !== undefined && detail.evidence.length > 0) {
    out.evidence = detail.evidence.slice(0, MAX_ITEMS).map((item) => {
      const evidence: HealthEvidence = { request: clean(item.request) };
      if (item.status !== undefined && Number.isInteger(item.status)) evidence.status = item.status;
      if (item.code !== undefined && CODE_SHAPE.test(item.code)) evidence.code = item.code;
      if (item.message !== undefined && item.message !== '') {
        evidence.message = clean(item.message);
      }
      return evidence;
    });
  }
  return { detailType, detail: out };
}
