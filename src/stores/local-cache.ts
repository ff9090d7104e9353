/**
 * The local cache of the Redis blocklist (`localCache`): the values of the keys `isRevoked` reads,
 * kept in process and invalidated through a Redis pub/sub channel on which every write of every
 * server publishes the key it changed (see redis-scripts.ts).
 *
 * The rule: a revocation acknowledged by Redis is never answered "not revoked" here once its
 * invalidation could have arrived. So:
 * - Local answers are used only while the subscription is proven live: some message has come through
 *   it within the last 3 heartbeats (every store publishes a heartbeat every `heartbeatMs`), and the
 *   subscriber has reported no error, end or reconnection since. Otherwise every call is a round trip.
 * - A proof after a gap (the first message after start, a reconnection or a lapse) starts a new
 *   epoch: the cache is emptied, and only reads sent after that message may fill it, since Redis ran
 *   them after the subscription was active: any later write's invalidation will reach us.
 * - A read in flight (a miss being filled) whose key is invalidated before its answer arrives does not
 *   fill that key: the invalidation wins (`Fill.stale`).
 * - An answer from the cache waits for the event loop's current batch of I/O (`settle()`), so that an
 *   invalidation that reached the process with or before the request is applied before the answer.
 * - Every entry expires after `ttlMs` at most, and a revoked one no later than Redis forgets it.
 */
import { JwtConfigError } from '../errors.js';
import { LruCache } from '../internal/lru.js';
import { positiveOption } from './kit.js';

/** A connection to subscribe with, as node-redis clients have it (a `duplicate()` of yours, connected). */
export interface RedisSubscriberLike {
  subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>;
  /** Removes the listener given to `subscribe` (typed `never`: clients type it each their own way). */
  unsubscribe?(channel: string, listener: never): Promise<unknown>;
  /** `'error'`, `'end'` and `'reconnecting'` stop local answers at once; `'ready'` sends a heartbeat. */
  on?(event: 'error' | 'end' | 'reconnecting' | 'ready', listener: () => void): unknown;
  off?(event: 'error' | 'end' | 'reconnecting' | 'ready', listener: () => void): unknown;
}

/** `localCache` of `createRedisBlocklist`. */
export interface LocalCacheOptions {
  /**
   * A second connection, used only to subscribe (a subscribed node-redis client runs no other
   * command): `await client.duplicate().on('error', log).connect()`. On a Cluster, the cluster client.
   */
  subscriber: RedisSubscriberLike;
  /** Most keys kept (a token reads up to three: its jti, family and identity). @default 10_000 */
  maxEntries?: number;
  /** Milliseconds an answer is kept at most, even without invalidation: the backstop. @default 10_000 */
  ttlMs?: number;
  /**
   * Milliseconds between heartbeats; local answers stop when none came back within 3 of them.
   * @default 1000
   */
  heartbeatMs?: number;
}

/** What `blocklist.localCache` shows. */
export interface LocalCacheState {
  /** True while local answers are used. */
  readonly live: boolean;
  /** Keys held. */
  readonly size: number;
}

/** A read in flight: it fills only keys not invalidated meanwhile, in the epoch it started in. */
export interface Fill {
  readonly epoch: number;
  readonly stale: Set<string>;
  readonly keys: readonly string[];
}

interface Entry {
  readonly value: string | null;
  /** Ms since the epoch (the store's clock). */
  readonly until: number;
}

const immediate: (callback: () => void) => unknown =
  globalThis.setImmediate ?? ((callback: () => void) => setTimeout(callback, 0));

/** Messages: `k<key>` invalidates a key; `p<id>` is a heartbeat. */
export class LocalCache implements LocalCacheState {
  readonly ttlMs: number;
  readonly #entries: LruCache<string, Entry>;
  readonly #inflight = new Map<string, Set<Fill>>();
  readonly #heartbeatMs: number;
  readonly #subscriber: RedisSubscriberLike;
  readonly #channel: string;
  readonly #publish: (message: string) => Promise<unknown>;
  readonly #ping = `p${Math.random().toString(36).slice(2)}`;
  #epoch = 0;
  #subscribed = false;
  /** performance.now() of the last message through the subscription. */
  #heard = Number.NEGATIVE_INFINITY;
  #timer: ReturnType<typeof setInterval> | undefined;
  #settling: Promise<void> | undefined;
  readonly #listener = (message: string) => this.#onMessage(message);
  readonly #lost = () => this.#drop();
  readonly #ready = () => void this.#publish(this.#ping).catch(() => {});

  constructor(options: LocalCacheOptions, channel: string, publish: (message: string) => Promise<unknown>) {
    const { subscriber } = options ?? {};
    if (typeof subscriber?.subscribe !== 'function') {
      throw new JwtConfigError('localCache.subscriber', 'must be a Redis client with subscribe()');
    }
    this.#subscriber = subscriber;
    this.#entries = new LruCache(positiveOption('localCache.maxEntries', options.maxEntries, 10_000, true));
    this.ttlMs = positiveOption('localCache.ttlMs', options.ttlMs, 10_000);
    this.#heartbeatMs = positiveOption('localCache.heartbeatMs', options.heartbeatMs, 1000);
    this.#channel = channel;
    this.#publish = publish;
  }

  /** Subscribes and starts the heartbeat (an unref'd timer: it never keeps the process alive). */
  start(): void {
    for (const event of ['error', 'end', 'reconnecting'] as const) this.#subscriber.on?.(event, this.#lost);
    this.#subscriber.on?.('ready', this.#ready);
    void Promise.resolve()
      .then(() => this.#subscriber.subscribe(this.#channel, this.#listener))
      .then(this.#ready, this.#lost);
    this.#timer = setInterval(this.#ready, this.#heartbeatMs);
    this.#timer.unref?.();
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    for (const event of ['error', 'end', 'reconnecting'] as const) this.#subscriber.off?.(event, this.#lost);
    this.#subscriber.off?.('ready', this.#ready);
    this.#drop();
    await this.#subscriber.unsubscribe?.(this.#channel, this.#listener as never)?.catch(() => {});
  }

  get live(): boolean {
    return this.#subscribed && performance.now() - this.#heard <= 3 * this.#heartbeatMs;
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * Resolves at the event loop's next `setImmediate` turn, after the I/O it is polling now: so an
   * invalidation that reached the process together with (or before) the request being checked is
   * applied before the answer. Without it a check runs in the same turn the request was read in,
   * and an invalidation later in the same batch of I/O waits behind it: under load, a batch lasts
   * long (the bench measured a run 145 ms after its revocation was acknowledged).
   */
  settle(): Promise<void> {
    // One turn shared by every check that starts before it fires: a busy process pays one turn per
    // loop, not one per request.
    return (this.#settling ??= new Promise((resolve) =>
      immediate(() => {
        this.#settling = undefined;
        resolve();
      }),
    ));
  }

  /** The cached value of `key` (null: no such key in Redis), or undefined: ask Redis. */
  read(key: string, now: number): string | null | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.until > now && this.live) return entry.value;
    this.#entries.delete(key);
    return undefined;
  }

  /** Registers a read of `keys` about to be sent to Redis. End it with `end()`, always. */
  begin(keys: readonly string[]): Fill {
    const fill: Fill = { epoch: this.live ? this.#epoch : -1, stale: new Set(), keys };
    if (fill.epoch === -1) return fill;
    for (const key of keys) {
      const fills = this.#inflight.get(key);
      if (fills === undefined) this.#inflight.set(key, new Set([fill]));
      else fills.add(fill);
    }
    return fill;
  }

  /** Keeps Redis's answer for `key` until `until`, unless invalidated or out of epoch meanwhile. */
  fill(fill: Fill, key: string, value: string | null, until: number, now: number): void {
    if (fill.epoch !== this.#epoch || fill.stale.has(key) || until <= now || !this.live) return;
    this.#entries.set(key, { value, until });
  }

  end(fill: Fill): void {
    if (fill.epoch === -1) return;
    for (const key of fill.keys) {
      const fills = this.#inflight.get(key);
      fills?.delete(fill);
      if (fills?.size === 0) this.#inflight.delete(key);
    }
  }

  #onMessage(message: string): void {
    if (!this.live) {
      // Proof of a live subscription after a gap: a fresh epoch; reads sent before it cannot fill.
      this.#epoch += 1;
      this.#entries.clear();
      this.#subscribed = true;
    }
    this.#heard = performance.now();
    if (message.startsWith('k')) this.invalidate(message.slice(1));
  }

  /** Forgets `key`, also for the reads of it in flight. The store's own writes call it directly. */
  invalidate(key: string): void {
    this.#entries.delete(key);
    for (const fill of this.#inflight.get(key) ?? []) fill.stale.add(key);
  }

  #drop(): void {
    this.#subscribed = false;
    this.#epoch += 1;
    this.#entries.clear();
  }
}
