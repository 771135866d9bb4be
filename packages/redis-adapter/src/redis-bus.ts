import { type BusListener, type BusOrdering, ChannelListeners, type ClusterBus, type ClusterLogger } from "@roomcast/core";
import type { RedisClient } from "./redis-client.js";
import { traceClientStates } from "./redis-trace.js";

/** `classic`: PUBLISH/SUBSCRIBE. `sharded`: SPUBLISH/SSUBSCRIBE (Redis 7+, scales with Redis Cluster). */
export type PubSubMode = "classic" | "sharded";

export interface RedisBusOptions {
  /**
   * Publishes that may wait for Redis at once (unacknowledged, or queued by ioredis while the
   * connection is down); one more is dropped and counted. Bounds memory during an outage.
   * Default 5000.
   */
  maxPendingPublishes?: number;
  /** Default `console`. */
  logger?: ClusterLogger;
}

interface BusCounters {
  /** Publishes Redis acknowledged. */
  published: number;
  /** Publishes Redis never acknowledged (connection lost with the command in flight, retries exhausted). */
  publishFailures: number;
  /** Messages dropped without being sent: volatile while Redis was down, or too many pending. */
  dropped: number;
  /**
   * Messages handed to ioredis while the connection was down, queued to go out after it comes back
   * (counted when queued; one that then fails also counts in `publishFailures`).
   */
  queuedWhileDown: number;
  subscribeFailures: number;
  /** `error` events of either client. */
  errors: number;
  /** Times the subscriber connection came back (and resubscribed). */
  reconnects: number;
}

function isReady(client: RedisClient): boolean {
  return client.status === "ready";
}

/** True for an ioredis `Cluster`. */
export function isRedisCluster(client: RedisClient): boolean {
  return (client as { isCluster?: boolean }).isCluster === true;
}

/**
 * Redis I/O for the cluster adapter: publishes on one client and subscribes on another (a
 * connection in subscriber mode cannot publish). One bus serves every namespace of a server.
 *
 * Faults: both clients get an `error` listener, so a Redis outage never becomes an unhandled
 * error. ioredis reconnects on its own and, with `autoResubscribe` (its default), subscribes
 * again to every channel. What is lost in between is counted in `metrics` and logged once per
 * outage.
 */
export class RedisBus implements ClusterBus {
  /**
   * "publisher" on one Redis server, which handles every PUBLISH (or SPUBLISH) of the publisher
   * connection in order and writes them to a subscriber connection in that order. "channel" on a
   * Redis Cluster: sharded channels live on different shards; classic PUBLISH goes to a random
   * node per command, so there even one channel's order is not certain (use sharded mode).
   */
  readonly ordering: BusOrdering;
  private readonly listeners = new ChannelListeners();
  /** Channels waiting for the subscriber to be ready, with the promises waiting on them. */
  private readonly deferred = new Map<string, (() => void)[]>();
  private readonly counters: BusCounters = {
    published: 0,
    publishFailures: 0,
    dropped: 0,
    queuedWhileDown: 0,
    subscribeFailures: 0,
    errors: 0,
    reconnects: 0,
  };
  private readonly maxPendingPublishes: number;
  private readonly logger: ClusterLogger;
  private pendingPublishes = 0;
  /** Losses since the last time both connections were up; reported when they are again. */
  private lossesInOutage = 0;
  private queuedInOutage = 0;
  private outage = false;
  private subscriberWasReady: boolean;
  /** Before the first connection, ioredis queuing commands is the normal start, not an outage. */
  private publisherWasReady: boolean;

  constructor(
    private readonly pub: RedisClient,
    private readonly sub: RedisClient,
    private readonly mode: PubSubMode,
    opts: RedisBusOptions = {},
  ) {
    this.ordering = isRedisCluster(pub) || isRedisCluster(sub) ? "channel" : "publisher";
    this.maxPendingPublishes = opts.maxPendingPublishes ?? 5000;
    this.logger = opts.logger ?? console;
    this.subscriberWasReady = isReady(sub);
    this.publisherWasReady = isReady(pub);

    const onError = (err: Error): void => {
      this.counters.errors++;
      if (!this.outage) {
        this.outage = true;
        this.logger.warn(`roomcast redis: connection problem (${err.message}); reconnecting`);
      }
    };
    pub.on("error", onError);
    sub.on("error", onError);
    traceClientStates(pub, "publisher");
    traceClientStates(sub, "subscriber");
    sub.on(mode === "classic" ? "messageBuffer" : "smessageBuffer", (channel: Buffer | string, message: Buffer) => {
      this.listeners.dispatch(channel.toString(), message, (err) => this.logger.warn("roomcast redis: a listener threw", err));
    });
    sub.on("ready", () => {
      if (this.subscriberWasReady) this.counters.reconnects++;
      this.subscriberWasReady = true;
      this.flushDeferred();
      this.reportRecovery();
    });
    pub.on("ready", () => {
      this.publisherWasReady = true;
      this.reportRecovery();
    });
  }

  /** True while both connections are ready: this node can publish and hears the others. */
  get connected(): boolean {
    return isReady(this.pub) && isReady(this.sub);
  }

  /**
   * The counters, plus `pendingPublishes` (publishes waiting for Redis now) and `connected` (1
   * while both connections are ready, else 0: `io.health()` is then not ready).
   */
  get metrics(): Readonly<Record<string, number>> {
    return { ...this.counters, pendingPublishes: this.pendingPublishes, connected: this.connected ? 1 : 0 };
  }

  publish(channel: string, payload: Uint8Array, volatile: boolean): void {
    const up = isReady(this.pub);
    if ((volatile && !up) || this.pendingPublishes >= this.maxPendingPublishes) {
      this.counters.dropped++;
      this.noteLoss();
      return;
    }
    if (!up && this.publisherWasReady) {
      this.counters.queuedWhileDown++;
      this.queuedInOutage++;
    }
    const message = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    this.pendingPublishes++;
    const sent = this.mode === "classic" ? this.pub.publish(channel, message) : this.pub.spublish(channel, message);
    sent.then(
      () => {
        this.pendingPublishes--;
        this.counters.published++;
      },
      () => {
        this.pendingPublishes--;
        this.counters.publishFailures++;
        this.noteLoss();
      },
    );
  }

  subscribe(channel: string, listener: BusListener): Promise<void> | void {
    if (!this.listeners.add(channel, listener)) return;
    if (!isReady(this.sub)) {
      /*
       * ioredis writes SUBSCRIBE at once while its ready check is still running (SUBSCRIBE is
       * allowed during loading), the ready check's INFO then fails in subscriber mode and the
       * client reconnects forever. So subscriptions wait for "ready"; channels subscribed before
       * an outage are restored by ioredis itself (autoResubscribe).
       */
      return new Promise((resolve) => {
        const waiting = this.deferred.get(channel);
        if (waiting) waiting.push(resolve);
        else this.deferred.set(channel, [resolve]);
      });
    }
    return this.sendSubscribe(channel);
  }

  private sendSubscribe(channel: string): Promise<void> {
    const done = this.mode === "classic" ? this.sub.subscribe(channel) : this.sub.ssubscribe(channel);
    return done.then(
      () => {},
      (err: Error) => {
        this.counters.subscribeFailures++;
        this.logger.warn(`roomcast redis: could not subscribe to ${channel}`, err.message);
      },
    );
  }

  unsubscribe(channel: string, listener: BusListener): void {
    if (!this.listeners.remove(channel, listener)) return;
    const waiting = this.deferred.get(channel);
    if (waiting) {
      this.deferred.delete(channel);
      for (const resolve of waiting) resolve();
      return;
    }
    const done = this.mode === "classic" ? this.sub.unsubscribe(channel) : this.sub.sunsubscribe(channel);
    // A failed unsubscribe only means extra messages, which the adapter ignores.
    done.catch(() => {});
  }

  private flushDeferred(): void {
    const deferred = [...this.deferred];
    this.deferred.clear();
    for (const [channel, waiting] of deferred) {
      void this.sendSubscribe(channel).then(() => {
        for (const resolve of waiting) resolve();
      });
    }
  }

  private noteLoss(): void {
    this.lossesInOutage++;
    if (this.lossesInOutage === 1) this.logger.warn("roomcast redis: messages are being lost while Redis is unreachable");
  }

  private reportRecovery(): void {
    if (!isReady(this.pub) || !isReady(this.sub)) return;
    if (this.outage || this.lossesInOutage > 0 || this.queuedInOutage > 0) {
      this.logger.warn(
        `roomcast redis: connection restored; during the outage ${this.lossesInOutage} message(s) were lost, and ${this.queuedInOutage} were queued to be sent late (those that failed are among the lost)`,
      );
    }
    this.outage = false;
    this.lossesInOutage = 0;
    this.queuedInOutage = 0;
  }
}
