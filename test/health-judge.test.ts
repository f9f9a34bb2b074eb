import { describe, expect, it } from 'vitest';
import { ConfigVariableError, loadConfig } from '../lambda/config.js';
import { HEALTH_DETAIL_TYPES, healthEvent } from '../lambda/health/health-event.js';
import { type HealthObservation, judge } from '../lambda/health/health-judge.js';
import type { TenantHealthRecord } from '../lambda/state/ports.js';

const T0 = Date.UTC(2026, 11, 7, 9, 0, 0);
const T1 = T0 + 60_000;

const unhealthy = (reason: string, announced = true): TenantHealthRecord => ({
  tenant: 'acme',
  state: 'unhealthy',
  reason,
  sinceMs: T0,
  announced,
});
const healthy: TenantHealthRecord = {
  tenant: 'acme',
  state: 'healthy',
  sinceMs: T0,
  announced: true,
};

const failed: HealthObservation = {
  kind: 'setup_check_failed',
  tenant: 'acme',
  steps: [{ id: 'authorized', title: 'The app is authorised', fix: 'Authorize it.' }],
  evidence: [{ request: 'POST /oauth2/token', status: 400, code: 'unauthorized_client' }],
};
const passed: HealthObservation = { kind: 'setup_check_passed', tenant: 'acme' };
const rejected: HealthObservation = {
  kind: 'credentials_rejected',
  tenant: 'acme',
  boxError: 'invalid_grant',
};
const accepted: HealthObservation = { kind: 'credentials_accepted', tenant: 'acme' };

describe('Function: judge', () => {
  it('makes a never-judged or healthy tenant unhealthy on a failed check, with the steps and fixes', () => {
    for (const current of [undefined, healthy]) {
      const transition = judge(current, failed, T1);
      expect(transition?.next).toEqual({
        tenant: 'acme',
        state: 'unhealthy',
        reason: 'setup_check',
        sinceMs: T1,
      });
      expect(transition?.event).toEqual({
        detailType: 'Box Tenant Unhealthy',
        detail: {
          tenant: 'acme',
          reason: 'setup_check',
          since: new Date(T1).toISOString(),
          steps: [{ id: 'authorized', title: 'The app is authorised', fix: 'Authorize it.' }],
          evidence: [{ request: 'POST /oauth2/token', status: 400, code: 'unauthorized_client' }],
        },
      });
    }
  });

  it("makes a tenant unhealthy on a live rejection, with Box's error code", () => {
    const transition = judge(undefined, rejected, T1);
    expect(transition?.event?.detail).toEqual({
      tenant: 'acme',
      reason: 'credentials_rejected',
      since: new Date(T1).toISOString(),
      evidence: [{ request: 'POST /oauth2/token (client_credentials)', code: 'invalid_grant' }],
    });
  });

  it('announces transitions only: an unhealthy tenant that fails again makes no event', () => {
    for (const reason of ['setup_check', 'credentials_rejected']) {
      expect(judge(unhealthy(reason), failed, T1)).toBeUndefined();
      expect(judge(unhealthy(reason), rejected, T1)).toBeUndefined();
    }
    expect(judge(healthy, passed, T1)).toBeUndefined();
    expect(judge(healthy, accepted, T1)).toBeUndefined();
    expect(judge(undefined, passed, T1)).toBeUndefined();
    expect(judge(undefined, accepted, T1)).toBeUndefined();
  });

  it('recovers any reason on a passed check, and only a live rejection on an accepted grant', () => {
    const fromCheck = judge(unhealthy('setup_check'), passed, T1);
    expect(fromCheck?.event).toEqual({
      detailType: 'Box Tenant Recovered',
      detail: { tenant: 'acme', reason: 'setup_check', since: new Date(T1).toISOString() },
    });
    expect(fromCheck?.fromReason).toBeUndefined();
    const fromLive = judge(unhealthy('credentials_rejected'), accepted, T1);
    expect(fromLive?.event?.detail.reason).toBe('credentials_rejected');
    expect(fromLive?.fromReason).toBe('credentials_rejected');
    expect(judge(unhealthy('credentials_rejected'), passed, T1)?.next.state).toBe('healthy');
    // A grant proves the secret, not the scopes or settings the check found wrong.
    expect(judge(unhealthy('setup_check'), accepted, T1)).toBeUndefined();
  });

  it('recovers silently from an unhealthy state never announced and not being announced', () => {
    const silent = judge(unhealthy('setup_check', false), passed, T1);
    expect(silent?.next.state).toBe('healthy');
    expect(silent?.event).toBeUndefined();
    const claimed = { ...unhealthy('setup_check', false), claimedUntilMs: T1 + 1 };
    expect(judge(claimed, passed, T1)?.event?.detailType).toBe(HEALTH_DETAIL_TYPES.recovered);
  });
});

describe('Function: healthEvent', () => {
  it('masks the client ID and secret wherever they appear, and bounds every text', () => {
    const event = healthEvent(
      HEALTH_DETAIL_TYPES.unhealthy,
      {
        tenant: 'acme',
        reason: 'setup_check',
        since: new Date(T0).toISOString(),
        steps: [{ id: 'credentials', title: 'client my-client-id\u0000ok', fix: 'x'.repeat(5000) }],
        evidence: [
          {
            request: 'POST /oauth2/token',
            status: 400,
            code: 'not a code!',
            message: 'client_id my-client-id with secret my-secret is invalid',
          },
        ],
      },
      ['my-client-id', 'my-secret'],
    );
    const text = JSON.stringify(event);
    expect(text).not.toContain('my-client-id');
    expect(text).not.toContain('my-secret');
    expect(event.detail.evidence?.[0]).toEqual({
      request: 'POST /oauth2/token',
      status: 400,
      message: 'client_id [redacted] with secret [redacted] is invalid',
    });
    expect(event.detail.steps?.[0]?.title).toBe('client [redacted] ok');
    expect(event.detail.steps?.[0]?.fix?.length).toBe(2000);
  });

  it('drops a step whose ID is not an ID', () => {
    const event = healthEvent(HEALTH_DETAIL_TYPES.unhealthy, {
      tenant: 'acme',
      reason: 'setup_check',
      since: new Date(T0).toISOString(),
      steps: [
        { id: 'scope:item_upload', title: 't', fix: null },
        { id: 'not an id', title: 't', fix: null },
      ],
    });
    expect(event.detail.steps?.map((step) => step.id)).toEqual(['scope:item_upload']);
  });
});

describe('Variable: BOX_EVENT_BUS', () => {
  it('takes a bus name or ARN, and refuses anything else without quoting it', () => {
    const base = { BOX_CREDENTIALS_SECRET: 'box/ccg' };
    expect(loadConfig(base).eventBus).toBeUndefined();
    expect(loadConfig({ ...base, BOX_EVENT_BUS: 'default' }).eventBus).toBe('default');
    const arn = 'arn:aws:events:eu-west-1:111122223333:event-bus/vendor-health';
    expect(loadConfig({ ...base, BOX_EVENT_BUS: arn }).eventBus).toBe(arn);
    for (const bad of ['two words', 'arn:aws:sns:eu-west-1:111122223333:topic', 'x'.repeat(257)]) {
      let caught: unknown;
      try {
        loadConfig({ ...base, BOX_EVENT_BUS: bad });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ConfigVariableError);
      expect((caught as ConfigVariableError).variables).toEqual(['BOX_EVENT_BUS']);
      expect((caught as Error).message).not.toContain(bad);
    }
  });
});
