/**
 * The installation's metrics in a prom-client registry of their own (one per app, never the global
 * default one). Counters and histograms are updated as things happen; the queue and outbox gauges
 * are read with one cheap query when /metrics is scraped. Labels are bounded: no tenant, contact,
 * event or session ids, and HTTP routes by their pattern, never the URL.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Counts across every tenant, read at scrape time (ops-repo). */
export interface OperationCounts {
  turnsQueued: number;
  oldestQueuedSeconds: number;
  outboxPending: number;
  outboxFailed: number;
}

export interface MetricsOptions {
  /** Reads the queue and outbox counts at each scrape; without it those gauges are absent. */
  readCounts?: () => Promise<OperationCounts>;
  /** Adds the process's own metrics (CPU, memory, event loop), prefixed `sb_`. */
  processMetrics?: boolean;
}

const TURN_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export type Metrics = ReturnType<typeof createMetrics>;

export function createMetrics(options: MetricsOptions = {}) {
  const registry = new Registry();
  const registers = [registry];
  if (options.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'sb_' });
  const metrics = {
    registry,
    turns: new Counter({ name: 'sb_turns_total', help: 'Turns finished, by status and provider', labelNames: ['status', 'provider'] as const, registers }),
    turnSeconds: new Histogram({
      name: 'sb_turn_duration_seconds', help: 'How long a turn took, from its claim to its stored result',
      labelNames: ['status', 'provider'] as const, buckets: TURN_BUCKETS, registers,
    }),
    inbound: new Counter({ name: 'sb_inbound_total', help: 'Inbound messages accepted, by channel and outcome', labelNames: ['channel', 'status'] as const, registers }),
    httpRequests: new Counter({ name: 'sb_http_requests_total', help: 'HTTP requests answered, by route pattern and status', labelNames: ['method', 'route', 'status'] as const, registers }),
    httpSeconds: new Histogram({
      name: 'sb_http_request_duration_seconds', help: 'HTTP request duration, by route pattern',
      labelNames: ['method', 'route'] as const, buckets: HTTP_BUCKETS, registers,
    }),
  };
  const counts = options.readCounts ? createCountGauges(registry) : undefined;

  /** The Prometheus text of every metric, with the counts read now. */
  async function scrape(): Promise<string> {
    if (counts && options.readCounts) counts.set(await options.readCounts());
    return registry.metrics();
  }

  return { ...metrics, scrape, contentType: registry.contentType };
}

function createCountGauges(registry: Registry) {
  const registers = [registry];
  const queued = new Gauge({ name: 'sb_turn_queue_depth', help: 'Turns queued or running, every tenant', registers });
  const oldest = new Gauge({ name: 'sb_turn_queue_oldest_seconds', help: 'Age of the oldest queued turn (0 when none)', registers });
  const outbox = new Gauge({ name: 'sb_outbox_replies', help: 'Replies in the outbox not sent, by status', labelNames: ['status'] as const, registers });
  return {
    set(counts: OperationCounts): void {
      queued.set(counts.turnsQueued);
      oldest.set(counts.oldestQueuedSeconds);
      outbox.set({ status: 'pending' }, counts.outboxPending);
      outbox.set({ status: 'failed' }, counts.outboxFailed);
    },
  };
}
