/**
 * The I/O shell around the message source: takes messages at the pace asked for — real time (each reading
 * at its event time, 1× from the start), a target rate (readings per second across the fleet), or as fast
 * as the broker acknowledges — and writes them to a `MessageSink` in batches, within the sink's in-flight
 * bound (a full client queue takes fewer; the rest are offered again once there is room, in order). The
 * sink counts acknowledgements and failures (after the client's own retries, `message.timeout.ms`), and the
 * stats follow it. `stop()` ends generation and waits (up to `drainTimeoutMs`) for what is in flight, so a
 * signal never loses a count.
 */
import type { Logger } from '@sensor-pipeline/shared';
import type { MessageSource, SimMessage } from '../core/message-source.js';
import { POISON_KINDS } from '../core/poison.js';
import type { MessageSink } from './message-sink.js';
import { type MessageSender, senderSink } from './sender-sink.js';
import { emptyStats, type SimulationStats, type SimulationSummary } from './simulation-stats.js';

export type { MessageSender } from './sender-sink.js';

export type PaceMode =
  /** Each reading when its event time comes, 1× speed from the scenario's start. */
  | { readonly kind: 'realtime' }
  /** A steady number of readings per second across the fleet; event time advances by the interval regardless. */
  | { readonly kind: 'rate'; readonly perSecond: number }
  /** As fast as the broker acknowledges. */
  | { readonly kind: 'fast' };

export interface SimulationOptions {
  /** Where messages go (e.g. the `SimulatorProducer`); or give `sender`. */
  readonly sink?: MessageSink;
  /** A KafkaJS-style `send` (one promise per batch), wrapped in a sink bounded by `maxInFlight`. */
  readonly sender?: MessageSender;
  readonly topic: string;
  readonly source: MessageSource;
  readonly pace: PaceMode;
  readonly logger: Logger;
  /** Largest number of messages per send (default 1,000). */
  readonly batchSize?: number;
  /** Messages produced but not yet acknowledged before the loop waits, for `sender` (default 50,000). */
  readonly maxInFlight?: number;
  /** How long `stop()` waits for in-flight messages (default 30 s). */
  readonly drainTimeoutMs?: number;
  /** Wall clock, Unix epoch ms (tests may pass their own). */
  readonly clock?: () => number;
}

export const DEFAULT_BATCH_SIZE = 1_000;
export const DEFAULT_MAX_IN_FLIGHT = 50_000;
export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000; // 30 seconds

export class Simulation {
  readonly stats: SimulationStats;
  private readonly options: SimulationOptions;
  private readonly sink: MessageSink;
  /** Messages taken from the source that the sink had no room for yet, offered again first. */
  private backlog: readonly SimMessage[] = [];
  private readonly log: Logger;
  private readonly clock: () => number;
  private readonly batchSize: number;
  private readonly maxInFlight: number;
  private stopping = false;
  private wake: (() => void) | undefined;
  private firstEventTimeMs: number | null = null;
  private running: Promise<SimulationSummary> | undefined;

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
    if (options.sink) this.sink = options.sink;
    else if (options.sender)
      this.sink = senderSink(options.sender, {
        maxInFlight: this.maxInFlight,
        logger: options.logger,
        clock: this.clock,
      });
    else throw new TypeError('a simulation needs a sink or a sender');
    this.stats = emptyStats(this.clock());
    this.stats.failures = this.sink.failures as Map<string, number>;
  }

  /** Messages written and not yet acknowledged or failed. */
  get inFlight(): number {
    this.syncStats();
    return this.stats.produced - this.stats.acked - this.stats.failed;
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
        if (this.backlog.length > 0) {
          this.write(this.backlog);
          if (this.backlog.length > 0) await this.sink.settled(1_000);
          continue;
        }
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
        allowed = Math.min(allowed, this.sink.room);
        if (allowed <= 0) {
          await this.sink.settled(1_000);
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
        this.write(messages);
        // let delivery reports, timers and signals in before the next batch, as many turns as the sink needs
        for (let turns = this.sink.turnsAfterWrite(messages.length); turns > 0; turns--)
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

  /** Offers `messages` to the sink; what it has no room for becomes the backlog. */
  private write(messages: readonly SimMessage[]): void {
    const taken = this.sink.write(this.options.topic, messages);
    this.stats.produced += taken;
    this.backlog = taken === messages.length ? [] : messages.slice(taken);
    this.syncStats();
  }

  private syncStats(): void {
    this.stats.acked = this.sink.acked;
    this.stats.failed = this.sink.failed;
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
    const timeoutMs = this.options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
    if (this.inFlight > 0)
      this.log.info({ inFlight: this.inFlight }, 'waiting for messages in flight to be acknowledged');
    const unconfirmed = await this.sink.drain(timeoutMs);
    this.syncStats();
    if (unconfirmed > 0) this.log.error({ unconfirmed }, 'gave up waiting for acknowledgements');
    return unconfirmed;
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
      failures: Object.fromEntries(this.sink.failures),
      elapsedMs,
      ackedPerSecond: Math.round((s.acked * 1_000) / elapsedMs),
      firstEventTimeMs: this.firstEventTimeMs,
      lastEventTimeMs: s.produced > 0 ? s.eventTimeMs : null,
      reason,
      ok: s.acked === s.produced && reason !== 'failed',
    };
  }
}
