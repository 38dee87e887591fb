/**
 * An execution's history as GetExecutionHistory returns it: numbered events, each with the
 * `<kind>EventDetails` field the SDK reads (`stateEnteredEventDetails`, `taskFailedEventDetails`, ...).
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html
 */
import { z } from 'zod';
import { type PageRequest, pageOf } from './pagination';

export const HistoryEvent = z.object({
  id: z.number().int().positive(),
  /** The event before this one; 0 for the first. */
  previousEventId: z.number().int().nonnegative(),
  /** Epoch milliseconds. */
  timestamp: z.number(),
  type: z.string(),
  /** e.g. `stateEnteredEventDetails`. */
  detailsKey: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type HistoryEvent = z.infer<typeof HistoryEvent>;

/** Fields that carry execution data; left out when `includeExecutionData` is false. */
const DATA_FIELDS = new Set(['input', 'output', 'parameters']);

/** Append-only event list. Once sealed (the execution closed), late events from a stopped run are dropped. */
export class History {
  private sealed = false;

  constructor(readonly events: HistoryEvent[] = []) {}

  add(type: string, details?: { key: string; value: Record<string, unknown> }, timestamp = Date.now()): void {
    if (this.sealed) return;
    const id = this.events.length + 1;
    this.events.push({
      id,
      previousEventId: id - 1,
      timestamp,
      type,
      ...(details ? { detailsKey: details.key, details: details.value } : {}),
    });
  }

  seal(): void {
    this.sealed = true;
  }

  get isSealed(): boolean {
    return this.sealed;
  }
}

export interface HistoryPageRequest extends PageRequest {
  readonly reverseOrder?: boolean | undefined;
  readonly includeExecutionData?: boolean | undefined;
}

/** One page of GetExecutionHistory, events in wire shape (timestamps in epoch seconds). */
export function historyPage(
  events: readonly HistoryEvent[],
  request: HistoryPageRequest,
): { events: Record<string, unknown>[]; nextToken?: string } {
  const ordered = request.reverseOrder ? [...events].reverse() : events;
  const { page, nextToken } = pageOf(ordered, (event) => String(event.id), request);
  const includeData = request.includeExecutionData ?? true;
  return { events: page.map((event) => toWire(event, includeData)), ...(nextToken ? { nextToken } : {}) };
}

function toWire(event: HistoryEvent, includeData: boolean): Record<string, unknown> {
  const wire: Record<string, unknown> = {
    timestamp: event.timestamp / 1000,
    type: event.type,
    id: event.id,
    previousEventId: event.previousEventId,
  };
  if (event.detailsKey && event.details) {
    wire[event.detailsKey] = includeData
      ? event.details
      : Object.fromEntries(Object.entries(event.details).filter(([key]) => !DATA_FIELDS.has(key)));
  }
  return wire;
}
