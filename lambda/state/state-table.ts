/**
 * The fleet state table (`BOX_STATE_TABLE`: `pk` S, `sk` S, TTL attribute `ttl` N epoch seconds)
 * as every item family uses it: get, put (optionally conditional), delete and query one partition.
 * Each call runs through {@link stateCall}: a short timeout inside the caller's deadline, and one
 * error type for every failure. Item families (tokens, leases, fleet controls, tenant health,
 * invitations) build on this module and never on the SDK directly.
 *
 * DynamoDB's TTL deletes expired items lazily (typically within days), so every reader must also
 * ignore an item whose `ttl` has passed: {@link isLive}.
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { type Deadline, noDeadline } from '../deadline.js';
import { STATE_CALL_TIMEOUT_MS, stateCall } from './state-call.js';

/** One item as DynamoDB speaks it. */
export type StateItem = Record<string, AttributeValue>;

/** The primary key of an item. */
export interface StateKey {
  pk: string;
  sk: string;
}

/** A condition on a write: an expression with its names and values. */
export interface StateCondition {
  expression: string;
  names?: Record<string, string>;
  values?: StateItem;
}

export interface StateTableOptions {
  client: DynamoDBClient;
  /** `BOX_STATE_TABLE`: name or ARN. */
  tableName: string;
  /** @default STATE_CALL_TIMEOUT_MS */
  callTimeoutMs?: number;
}

/** The table, as the item families use it. */
export class StateTable {
  readonly tableName: string;
  private readonly client: DynamoDBClient;
  private readonly timeoutMs: number;

  constructor(options: StateTableOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.timeoutMs = options.callTimeoutMs ?? STATE_CALL_TIMEOUT_MS;
  }

  /** The item, or undefined. `consistent` reads see every write acknowledged before them. */
  async get(
    key: StateKey,
    options: { consistent?: boolean; deadline?: Deadline } = {},
  ): Promise<StateItem | undefined> {
    const answer = await stateCall('read', options.deadline ?? noDeadline(), this.timeoutMs, (s) =>
      this.client.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: keyOf(key),
          ConsistentRead: options.consistent ?? false,
        }),
        { abortSignal: s },
      ),
    );
    return answer.Item;
  }

  /** Writes the item; with a condition, false when the condition does not hold (nothing written). */
  async put(
    item: StateItem & { pk: AttributeValue; sk: AttributeValue },
    options: { condition?: StateCondition; deadline?: Deadline } = {},
  ): Promise<boolean> {
    const { condition } = options;
    return stateCall('write', options.deadline ?? noDeadline(), this.timeoutMs, (s) =>
      conditional(
        this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: item,
            ...conditionParams(condition),
          }),
          { abortSignal: s },
        ),
      ),
    );
  }

  /**
   * Updates attributes of an item (creating it if absent): false when the condition does not hold.
   * Returns the item's attributes after the update when `returnNew` is set.
   */
  async update(
    key: StateKey,
    update: { expression: string; names?: Record<string, string>; values?: StateItem },
    options: { condition?: string; deadline?: Deadline; returnNew?: boolean } = {},
  ): Promise<StateItem | false> {
    return stateCall('write', options.deadline ?? noDeadline(), this.timeoutMs, async (s) => {
      try {
        const answer = await this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: keyOf(key),
            UpdateExpression: update.expression,
            ...(update.names === undefined ? {} : { ExpressionAttributeNames: update.names }),
            ...(update.values === undefined ? {} : { ExpressionAttributeValues: update.values }),
            ...(options.condition === undefined ? {} : { ConditionExpression: options.condition }),
            ReturnValues: options.returnNew === true ? 'ALL_NEW' : 'NONE',
          }),
          { abortSignal: s },
        );
        return answer.Attributes ?? {};
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    });
  }

  /** Deletes the item; with a condition, false when the condition does not hold. */
  async delete(
    key: StateKey,
    options: { condition?: StateCondition; deadline?: Deadline } = {},
  ): Promise<boolean> {
    const { condition } = options;
    return stateCall('delete', options.deadline ?? noDeadline(), this.timeoutMs, (s) =>
      conditional(
        this.client.send(
          new DeleteItemCommand({
            TableName: this.tableName,
            Key: keyOf(key),
            ...conditionParams(condition),
          }),
          { abortSignal: s },
        ),
      ),
    );
  }

  /**
   * Every item of one partition (optionally those whose `sk` starts with `skPrefix`), following
   * pages. For small partitions only (fleet controls, one tenant's items).
   */
  async query(
    pk: string,
    options: { skPrefix?: string; consistent?: boolean; deadline?: Deadline } = {},
  ): Promise<StateItem[]> {
    const items: StateItem[] = [];
    let start: StateItem | undefined;
    do {
      const page = await stateCall('query', options.deadline ?? noDeadline(), this.timeoutMs, (s) =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression:
              options.skPrefix === undefined
                ? '#pk = :pk'
                : '#pk = :pk AND begins_with(#sk, :prefix)',
            ExpressionAttributeNames:
              options.skPrefix === undefined ? { '#pk': 'pk' } : { '#pk': 'pk', '#sk': 'sk' },
            ExpressionAttributeValues: {
              ':pk': { S: pk },
              ...(options.skPrefix === undefined ? {} : { ':prefix': { S: options.skPrefix } }),
            },
            ConsistentRead: options.consistent ?? false,
            ...(start === undefined ? {} : { ExclusiveStartKey: start }),
          }),
          { abortSignal: s },
        ),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return items;
  }
}

function keyOf(key: StateKey): StateItem {
  return { pk: { S: key.pk }, sk: { S: key.sk } };
}

function conditionParams(condition: StateCondition | undefined) {
  if (condition === undefined) return {};
  return {
    ConditionExpression: condition.expression,
    ...(condition.names === undefined ? {} : { ExpressionAttributeNames: condition.names }),
    ...(condition.values === undefined ? {} : { ExpressionAttributeValues: condition.values }),
  };
}

/** A conditional write's answer: true written, false the condition did not hold. */
async function conditional(call: Promise<unknown>): Promise<boolean> {
  try {
    await call;
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

// --- attribute helpers: items are read by fixed names, never by caller-chosen keys ----------

/** A string attribute. */
export function str(value: string): AttributeValue {
  return { S: value };
}

/** A number attribute. */
export function num(value: number): AttributeValue {
  return { N: String(value) };
}

/** A string attribute of an item, or undefined. */
export function readString(item: StateItem, name: string): string | undefined {
  const value = Object.hasOwn(item, name) ? item[name] : undefined;
  return value !== undefined && 'S' in value && typeof value.S === 'string' ? value.S : undefined;
}

/** A number attribute of an item, or undefined (also for anything not a finite number). */
export function readNumber(item: StateItem, name: string): number | undefined {
  const value = Object.hasOwn(item, name) ? item[name] : undefined;
  if (value === undefined || !('N' in value) || typeof value.N !== 'string') return undefined;
  const parsed = Number(value.N);
  return Number.isFinite(parsed) ? parsed : undefined;
}

/** A binary attribute of an item, or undefined. */
export function readBinary(item: StateItem, name: string): Uint8Array | undefined {
  const value = Object.hasOwn(item, name) ? item[name] : undefined;
  return value !== undefined && 'B' in value && value.B instanceof Uint8Array ? value.B : undefined;
}

/** The `ttl` attribute (epoch seconds) for an expiry in epoch milliseconds. */
export function ttlOf(expiresAtMs: number): AttributeValue {
  return num(Math.ceil(expiresAtMs / 1000));
}

/**
 * Whether an item is still live at `nowMs`: its `ttl` (epoch seconds) has not passed. An item
 * without `ttl` lives until deleted. DynamoDB deletes expired items only eventually.
 */
export function isLive(item: StateItem, nowMs: number): boolean {
  const ttl = readNumber(item, 'ttl');
  return ttl === undefined || ttl * 1000 > nowMs;
}
