/**
 * Puts health events on the vendor's EventBridge bus (`BOX_EVENT_BUS`), one PutEvents call per
 * event, inside a timeout of its own: a slow or failing EventBridge never holds a token request.
 */
import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { HEALTH_EVENT_SOURCE, type HealthEvent } from './health-event.js';

/** Where health events go. */
export interface HealthEventPublisher {
  /** Puts `event` on the bus; rejects with a {@link HealthPublishError} when it is not there. */
  publish(event: HealthEvent): Promise<void>;
}

/** The event is not on the bus. `code` is AWS's error name or PutEvents' entry error code. */
export class HealthPublishError extends Error {
  readonly code: string;

  constructor(code: string, options?: { cause?: unknown }) {
    super(`PutEvents failed: ${code}`, options);
    this.name = 'HealthPublishError';
    this.code = code;
  }
}

export interface EventBridgePublisherOptions {
  client: EventBridgeClient;
  /** `BOX_EVENT_BUS`: the bus's name or ARN. */
  eventBus: string;
  /** One PutEvents call's timeout. */
  timeoutMs: number;
}

/** The default timeout of one PutEvents call (EventBridge answers in tens of ms). */
export const PUT_EVENTS_TIMEOUT_MS = 1000;

export class EventBridgePublisher implements HealthEventPublisher {
  constructor(private readonly options: EventBridgePublisherOptions) {}

  async publish(event: HealthEvent): Promise<void> {
    const entry: PutEventsRequestEntry = {
      EventBusName: this.options.eventBus,
      Source: HEALTH_EVENT_SOURCE,
      DetailType: event.detailType,
      Detail: JSON.stringify(event.detail),
      Time: new Date(event.detail.since),
    };
    let failed: string | undefined;
    try {
      const output = await this.options.client.send(new PutEventsCommand({ Entries: [entry] }), {
        abortSignal: AbortSignal.timeout(this.options.timeoutMs),
      });
      // PutEvents answers 200 with a failed entry for throttling and internal failures.
      if ((output.FailedEntryCount ?? 0) > 0) {
        failed = safeCode(output.Entries?.[0]?.ErrorCode) ?? 'FailedEntry';
      }
    } catch (error) {
      throw new HealthPublishError(errorName(error), { cause: error });
    }
    if (failed !== undefined) throw new HealthPublishError(failed);
  }
}

/** An AWS error's name (its exception type), never its message (it can quote ARNs). */
function errorName(error: unknown): string {
  if (error instanceof Error) return safeCode(error.name) ?? 'Error';
  return 'Error';
}

function safeCode(code: string | undefined): string | undefined {
  return code !== undefined && /^[A-Za-z][A-Za-z0-9_.]{0,63}$/.test(code) ? code : undefined;
}
