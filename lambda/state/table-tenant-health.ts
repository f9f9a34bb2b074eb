/**
 * Tenant health in the fleet state table: one item per tenant, `pk` = `health#<tenant>`,
 * `sk` = `health`, without `ttl` (a tenant's health is kept until it changes). Every change is a
 * conditional write, so of all the environments that see a tenant go bad (or recover) exactly
 * one makes the transition and announces it; the announcement's claim is a conditional update
 * too, so a failed PutEvents is retried by one environment at a time.
 *
 * Attributes: `state` (`healthy` | `unhealthy`), `reason`, `since_ms`, `announced` (BOOL),
 * `event` (the event to announce, until it is on the bus; no secret or token ever), and
 * `claimed_until_ms`. Tenant IDs are item data, never attribute names.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { TenantHealthRecord, TenantHealthState, TenantHealthStore } from './ports.js';
import {
  num,
  readNumber,
  readString,
  type StateItem,
  type StateTable,
  str,
} from './state-table.js';

/** The partition key prefix of tenant health items (lambda/state/ports.ts). */
export const HEALTH_PK_PREFIX = 'health#';
const HEALTH_SK = 'health';

const NAMES = {
  '#state': 'state',
  '#reason': 'reason',
  '#since': 'since_ms',
  '#announced': 'announced',
  '#event': 'event',
  '#claimed': 'claimed_until_ms',
} as const;

export class TableTenantHealth implements TenantHealthStore {
  constructor(private readonly table: StateTable) {}

  async get(tenant: string): Promise<TenantHealthRecord | undefined> {
    const item = await this.table.get(keyOf(tenant), { consistent: true });
    return item === undefined ? undefined : recordOf(item);
  }

  async transition(next: TenantHealthRecord, fromReason?: string): Promise<boolean> {
    const item: StateItem & { pk: AttributeValue; sk: AttributeValue } = {
      pk: str(HEALTH_PK_PREFIX + next.tenant),
      sk: str(HEALTH_SK),
      tenant: str(next.tenant),
      state: str(next.state),
      since_ms: num(next.sinceMs),
      announced: { BOOL: next.announced },
    };
    if (next.reason !== undefined) item.reason = str(next.reason);
    if (next.event !== undefined) item.event = str(next.event);
    if (next.claimedUntilMs !== undefined) item.claimed_until_ms = num(next.claimedUntilMs);
    const condition =
      fromReason === undefined
        ? {
            expression: 'attribute_not_exists(pk) OR #state <> :state',
            names: { '#state': NAMES['#state'] },
            values: { ':state': str(next.state) },
          }
        : {
            // Only from this reason: the tenant must be unhealthy because of it.
            expression: '#state = :unhealthy AND #reason = :from',
            names: { '#state': NAMES['#state'], '#reason': NAMES['#reason'] },
            values: { ':unhealthy': str('unhealthy'), ':from': str(fromReason) },
          };
    return this.table.put(item, { condition });
  }

  async claimAnnouncement(
    tenant: string,
    sinceMs: number,
    nowMs: number,
    untilMs: number,
  ): Promise<boolean> {
    const answer = await this.table.update(
      keyOf(tenant),
      {
        expression: 'SET #claimed = :until',
        names: {
          '#claimed': NAMES['#claimed'],
          '#since': NAMES['#since'],
          '#announced': NAMES['#announced'],
        },
        values: {
          ':until': num(untilMs),
          ':since': num(sinceMs),
          ':now': num(nowMs),
          ':no': { BOOL: false },
        },
      },
      {
        condition:
          '#since = :since AND #announced = :no AND (attribute_not_exists(#claimed) OR #claimed <= :now)',
      },
    );
    return answer !== false;
  }

  async settleAnnouncement(tenant: string, sinceMs: number, announced: boolean): Promise<void> {
    await this.table.update(
      keyOf(tenant),
      announced
        ? {
            expression: 'SET #announced = :yes REMOVE #event, #claimed',
            names: {
              '#announced': NAMES['#announced'],
              '#event': NAMES['#event'],
              '#claimed': NAMES['#claimed'],
              '#since': NAMES['#since'],
            },
            values: { ':yes': { BOOL: true }, ':since': num(sinceMs) },
          }
        : {
            expression: 'REMOVE #claimed',
            names: { '#claimed': NAMES['#claimed'], '#since': NAMES['#since'] },
            values: { ':since': num(sinceMs) },
          },
      // Another transition since: this announcement is no longer the tenant's to settle.
      { condition: '#since = :since' },
    );
  }

  async list(): Promise<TenantHealthRecord[]> {
    const items = await this.table.scan(HEALTH_PK_PREFIX);
    return items
      .flatMap((item) => {
        const record = recordOf(item);
        return record === undefined ? [] : [record];
      })
      .sort((a, b) => (a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : 0));
  }
}

function keyOf(tenant: string): { pk: string; sk: string } {
  return { pk: HEALTH_PK_PREFIX + tenant, sk: HEALTH_SK };
}

/** An item as a record; undefined for an item this version cannot read. */
function recordOf(item: StateItem): TenantHealthRecord | undefined {
  const pk = readString(item, 'pk');
  const state = readString(item, 'state');
  const sinceMs = readNumber(item, 'since_ms');
  if (pk === undefined || !pk.startsWith(HEALTH_PK_PREFIX) || sinceMs === undefined) {
    return undefined;
  }
  if (state !== 'healthy' && state !== 'unhealthy') return undefined;
  const announcedValue = Object.hasOwn(item, 'announced') ? item.announced : undefined;
  const record: TenantHealthRecord = {
    tenant: pk.slice(HEALTH_PK_PREFIX.length),
    state: state satisfies TenantHealthState,
    sinceMs,
    announced:
      announcedValue !== undefined && 'BOOL' in announcedValue && announcedValue.BOOL === true,
  };
  const reason = readString(item, 'reason');
  if (reason !== undefined) record.reason = reason;
  const event = readString(item, 'event');
  if (event !== undefined) record.event = event;
  const claimedUntilMs = readNumber(item, 'claimed_until_ms');
  if (claimedUntilMs !== undefined) record.claimedUntilMs = claimedUntilMs;
  return record;
}
