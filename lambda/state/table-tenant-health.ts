/**
 * Tenant health in the fleet state table: one item per tenant in one partition, `pk` =
 * `health#`, `sk` = the tenant ID, without `ttl` (a tenant's health is kept until it changes).
 * One partition, so that listing every tenant's health is a Query: a Scan would read every item
 * of the table (the sealed tokens too), and IAM cannot hold a Scan to a key prefix the way
 * `dynamodb:LeadingKeys` holds GetItem, PutItem, UpdateItem and Query. A tenant's item changes
 * only on a transition, and is read once per Box grant: far below one partition's limits.
 *
 * Every change is a conditional write, so of all the environments that see a tenant go bad (or
 * recover) exactly one makes the transition and announces it; the announcement's claim is a
 * conditional update too, so a failed PutEvents is retried by one environment at a time.
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

/** The partition of tenant health items (prefix `health#`, lambda/state/ports.ts). */
export const HEALTH_PK = 'health#';

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
      pk: str(HEALTH_PK),
      sk: str(next.tenant),
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
    const items = await this.table.query(HEALTH_PK, { consistent: true });
    return items
      .flatMap((item) => {
        const record = recordOf(item);
        return record === undefined ? [] : [record];
      })
      .sort((a, b) => (a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : 0));
  }
}

function keyOf(tenant: string): { pk: string; sk: string } {
  return { pk: HEALTH_PK, sk: tenant };
}

/** An item as a record; undefined for an item this version cannot read. */
function recordOf(item: StateItem): TenantHealthRecord | undefined {
  const pk = readString(item, 'pk');
  const tenant = readString(item, 'sk');
  const state = readString(item, 'state');
  const sinceMs = readNumber(item, 'since_ms');
  if (pk !== HEALTH_PK || tenant === undefined || sinceMs === undefined) return undefined;
  if (state !== 'healthy' && state !== 'unhealthy') return undefined;
  const announcedValue = Object.hasOwn(item, 'announced') ? item.announced : undefined;
  const record: TenantHealthRecord = {
    tenant,
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
