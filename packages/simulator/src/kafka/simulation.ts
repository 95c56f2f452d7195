/**
 * The I/O shell around the message source: takes messages at the pace asked for — real time (each reading
 * at its event time, 1× from the start), a target rate (readings per second across the fleet), or as fast
 * as the broker acknowledges — and produces them in large batches with several sends in flight, bounded by
 * `maxInFlight`. Acknowledgements are counted from the resolved sends; a send that fails (after the client's
 * own retries, `message.timeout.ms`) counts all of its messages as failed and logs the reason. `stop()` ends
 * generation and waits (up to `drainTimeoutMs`) for what is in flight, so a signal never loses a count.
 */
import type { Logger } from '@sensor-pipeline/shared';
import type { MessageSource, SimMessage } from '../core/message-source.js';
import { POISON_KINDS } from '../core/poison.js';
import { emptyStats, inFlight, type SimulationStats, type SimulationSummary } from './simulation-stats.js';

/** The part of a Kafka producer the simulation uses (the KafkaJS-style `send`). */
export interface MessageSender {
  send(record: { topic: string; messages: SimMessage[] }): Promise<unknown>;
}

export type PaceMode =
  /** Each reading when its event time comes, 1× speed from the scenario's start. */
  | { readonly kind: 'realtime' }
  /** A steady number of readings per second across the fleet; event time advances by the interval regardless. */
  | { readonly kind: 'rate'; readonly perSecond: number }
  /** As fast as the broker acknowledges. */
  | { readonly kind: 'fast' };

export interface SimulationOptions {
  readonly sender: MessageSender;
  readonly topic: string;
  readonly source: MessageSource;
  readonly pace: PaceMode;
  readonly logger: Logger;
  /** Largest number of messages per send (default 1,000). */
  readonly batchSize?: number;
  /** Messages produced but not yet acknowledged before the loop waits (default 50,000). */
  readonly maxInFlight?: number;
  /** How long `stop()` waits for in-flight messages (default 30 s). */
  readonly drainTimeoutMs?: number;
  /** Wall clock, Unix epoch ms (tests may pass their own). */
  readonly clock?: () => number;
}

export const DEFAULT_BATCH_SIZE = 1_000;
export const DEFAULT_MAX_IN_FLIGHT = 50_000;
export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000; // 30 seconds
/** @confluentinc/kafka-javascript dispatches delivery reports to JavaScript in groups of 100 per event-loop turn. */
const DELIVERY_REPORTS_PER_TURN = 100;

export class Simulation {
  readonly stats: SimulationStats;
  private readonly options: SimulationOptions;
  private readonly log: Logger;
  private readonly clock: () => number;
  private readonly batchSize: number;
  private readonly maxInFlight: number;
  private stopping = false;
  private wake: (() => void) | undefined;
  private settled: (() => void) | undefined;
  private firstEventTimeMs: number | null = null;
  private running: Promise<SimulationSummary> | undefined;
  private lastFailureLogMs = 0;

  constructor(options: SimulationOptions) {
    this.options = options;
    this.log = options.logger.child({ component: 'simulation' });
    this.clock = options.clock ?? Date.now;
    this.batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    this.maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    if (!(Number.isInteger(this.batchSize) && this.batchSize > 0))
      throw new RangeError(`batchSize must be a positive integer, got ${this.batchSize}`);
    if (!(Number.isInteger(this.maxInFlight) && this.maxInFlight >= this.batchSize)) {
      throw new RangeError(
        `maxInFlight must be an integer of at least batchSize (${this.batchSize}), got ${this.maxInFlight}`,
      );
    }
    if (options.pace.kind === 'rate' && !(options.pace.perSecond > 0))
      throw new RangeError(`rate must be positive, got ${options.pace.perSecond}`);
    this.stats = emptyStats(this.clock());
  }

  get inFlight(): number {
    return inFlight(this.stats);
  }

  /** Runs until the source is exhausted or `stop()` is called; resolves with the summary (never rejects). */
  run(): Promise<SimulationSummary> {
    this.running ??= this.loop();
    return this.running;
  }

  /** Stops taking new readings; `run()` resolves once in-flight messages are acknowledged or the drain deadline passes. */
  stop(): void {
    this.stopping = true;
    this.wake?.();
  }

  private async loop(): Promise<SimulationSummary> {
    const { source, pace } = this.options;
    const stats = this.stats;
    stats.startedAtMs = this.clock();
    const wallStartMs = stats.startedAtMs;
    const eventStartMs = source.fleet.startTimeMs;
    let reason: SimulationSummary['reason'] = 'complete';
    this.log.info(
      {
        topic: this.options.topic,
        pace: pace.kind === 'rate' ? `${pace.perSecond}/s` : pace.kind,
        devices: source.fleet.devices.length,
        intervalMs: source.fleet.intervalMs,
        startTime: new Date(eventStartMs).toISOString(),
      },
      'simulation started',
    );
    try {
      while (!this.stopping) {
        const dueMs = source.peekEmitAtMs();
        if (dueMs === Infinity) break;
        let allowed = this.batchSize;
        const now = this.clock();
        if (pace.kind === 'realtime') {
          const waitMs = wallStartMs + (dueMs - eventStartMs) - now;
          if (waitMs > 0) {
            await this.sleep(Math.min(waitMs, 1_000));
            continue;
          }
        } else if (pace.kind === 'rate') {
          const target = Math.floor(((now - wallStartMs) * pace.perSecond) / 1_000) + 1;
          allowed = Math.min(allowed, target - source.count);
          if (allowed <= 0) {
            await this.sleep(Math.max(1, Math.ceil(((source.count + 1 - target) * 1_000) / pace.perSecond)));
            continue;
          }
        }
        allowed = Math.min(allowed, this.maxInFlight - this.inFlight);
        if (allowed <= 0) {
          await Promise.race([this.nextSettled(), this.sleep(1_000)]);
          continue;
        }
        const eventDueMs = pace.kind === 'realtime' ? eventStartMs + (now - wallStartMs) : Infinity;
        const messages: SimMessage[] = [];
        const paced = pace.kind === 'realtime';
        while (messages.length < allowed && (!paced || source.peekEmitAtMs() <= eventDueMs)) {
          const message = source.next();
          if (!message) break;
          if (this.firstEventTimeMs === null) this.firstEventTimeMs = source.reading.eventTimeMs;
          messages.push(message);
        }
        if (messages.length === 0) continue;
        stats.eventTimeMs = Math.max(stats.eventTimeMs, source.reading.eventTimeMs);
        for (const kind of POISON_KINDS) stats.poison[kind] = source.poison[kind];
        this.dispatch(messages);
        // let delivery reports, timers and signals in before the next batch: the Kafka client hands over at
        // most 100 delivery reports per event-loop turn, so give it a turn per 100 messages sent
        for (let turns = Math.ceil(messages.length / DELIVERY_REPORTS_PER_TURN); turns > 0; turns--)
          await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (this.stopping) reason = 'stopped';
    } catch (err) {
      reason = 'failed';
      this.log.error({ err }, 'simulation failed; waiting for messages in flight');
    }
    const unconfirmed = await this.drain();
    return this.summary(reason, unconfirmed);
  }

  private dispatch(messages: SimMessage[]): void {
    const stats = this.stats;
    const n = messages.length;
    stats.produced += n;
    let sent: Promise<unknown>;
    try {
      sent = this.options.sender.send({ topic: this.options.topic, messages });
    } catch (err) {
      sent = Promise.reject(err);
    }
    sent.then(
      () => {
        stats.acked += n;
        this.notifySettled();
      },
      (err: unknown) => {
        stats.failed += n;
        const reason = failureReason(err);
        const seen = stats.failures.get(reason) ?? 0;
        stats.failures.set(reason, seen + n);
        const now = this.clock();
        // the first failure of each kind, then at most one line every 5 seconds: a broker outage fails every batch
        if (seen === 0 || now - this.lastFailureLogMs >= 5_000) {
          this.lastFailureLogMs = now;
          this.log.error(
            { err, messages: n, reason, failedTotal: stats.failed },
            'messages not acknowledged after retries',
          );
        }
        this.notifySettled();
      },
    );
  }

  private notifySettled(): void {
    const settled = this.settled;
    this.settled = undefined;
    settled?.();
  }

  private nextSettled(): Promise<void> {
    return new Promise<void>((resolve) => {
      const previous = this.settled;
      this.settled = () => {
        previous?.();
        resolve();
      };
    });
  }

  /** Sleeps up to `ms`; `stop()` cuts it short. */
  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        if (this.wake === wake) this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wake = wake;
    });
  }

  /** Waits for in-flight messages; returns how many were still unconfirmed at the deadline. */
  private async drain(): Promise<number> {
    const deadline = this.clock() + (this.options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS);
    if (this.inFlight > 0)
      this.log.info({ inFlight: this.inFlight }, 'waiting for messages in flight to be acknowledged');
    while (this.inFlight > 0) {
      const left = deadline - this.clock();
      if (left <= 0) {
        this.log.error({ unconfirmed: this.inFlight }, 'gave up waiting for acknowledgements');
        return this.inFlight;
      }
      await Promise.race([
        this.nextSettled(),
        new Promise<void>((resolve) => setTimeout(resolve, Math.min(left, 1_000)).unref()),
      ]);
    }
    return 0;
  }

  private summary(reason: SimulationSummary['reason'], unconfirmed: number): SimulationSummary {
    const s = this.stats;
    const elapsedMs = Math.max(1, this.clock() - s.startedAtMs);
    const poisonTotal = POISON_KINDS.reduce((sum, kind) => sum + s.poison[kind], 0);
    return {
      produced: s.produced,
      acked: s.acked,
      failed: s.failed,
      unconfirmed,
      poison: { ...s.poison },
      poisonTotal,
      failures: Object.fromEntries(s.failures),
      elapsedMs,
      ackedPerSecond: Math.round((s.acked * 1_000) / elapsedMs),
      firstEventTimeMs: this.firstEventTimeMs,
      lastEventTimeMs: s.produced > 0 ? s.eventTimeMs : null,
      reason,
      ok: s.acked === s.produced && reason !== 'failed',
    };
  }
}

/** A short, stable reason for a failed send: the client's error code and message. */
function failureReason(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; message?: unknown };
    const code = e.code === undefined ? '' : `${String(e.code)}: `;
    return `${code}${String(e.message ?? err)}`.slice(0, 200);
  }
  return String(err).slice(0, 200);
}
