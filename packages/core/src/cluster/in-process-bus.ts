import { type BusListener, type BusOrdering, ChannelListeners, type ClusterBus } from "./bus.js";
import { DelayLine } from "./delay-line.js";

export interface InProcessHubOptions {
  /**
   * `"publisher"` (default): one broker for every channel, like one Redis server: a subscriber
   * hears one publisher's messages in publish order across channels. `"channel"`: each channel
   * has a broker of its own with a random latency, like sharded pub/sub on a Redis Cluster: order
   * holds within a channel only, and messages on different channels overtake each other.
   */
  ordering?: BusOrdering;
  /**
   * With `"channel"`: ms one step (a publish, a subscribe) waits at the broker of `channel` after
   * the step before it. Default: random, up to 3 ms. A test can slow one channel down, or pass a
   * seeded random source to replay a run.
   */
  latency?: (channel: string) => number;
}

/**
 * A cluster bus inside one process: several servers in the same process (tests, a demo) share
 * one hub and each gets its own endpoint. It behaves like Redis where the cluster protocol can
 * tell: delivery is asynchronous; a SUBSCRIBE takes effect a step later, in order with the
 * publishes before it; and a message reaches the endpoints subscribed when the broker handles
 * it, not those that subscribe while it is on its way.
 *
 * @example
 * const hub = new InProcessHub();
 * const io1 = new Server(0, { adapter: createClusterAdapter(hub.endpoint()) });
 * const io2 = new Server(0, { adapter: createClusterAdapter(hub.endpoint()) });
 */
export class InProcessHub {
  readonly ordering: BusOrdering;
  private readonly endpoints = new Set<InProcessBus>();
  /** Who the broker delivers each channel to. */
  private readonly subscribers = new Map<string, Set<InProcessBus>>();
  /** "channel" ordering: the broker of each channel with steps pending. */
  private readonly lines = new Map<string, DelayLine>();
  private readonly latency: (channel: string) => number;
  private steps = 0;

  constructor(opts: InProcessHubOptions = {}) {
    this.ordering = opts.ordering ?? "publisher";
    this.latency = opts.latency ?? (() => Math.random() * 3);
  }

  /** Publishes and (un)subscribes on their way through the brokers: 0 once everything sent arrived. */
  get pending(): number {
    return this.steps;
  }

  /** A new endpoint attached to this hub. */
  endpoint(): InProcessBus {
    const bus = new InProcessBus(this);
    this.endpoints.add(bus);
    return bus;
  }

  /**
   * @internal Runs `step` at the broker of `channel`, after the steps queued there before it: one
   * queue for every channel ("publisher"), one per channel ("channel").
   */
  atBroker(channel: string, step: () => void): void {
    this.steps++;
    const counted = (): void => {
      this.steps--;
      step();
    };
    if (this.ordering === "publisher") {
      setImmediate(counted);
      return;
    }
    let line = this.lines.get(channel);
    if (line === undefined) {
      line = new DelayLine(() => this.latency(channel), () => this.lines.delete(channel));
      this.lines.set(channel, line);
    }
    line.push(counted);
  }

  /** @internal The broker hands `payload` to the endpoints subscribed to `channel` now. */
  route(channel: string, payload: Uint8Array): void {
    const subscribers = this.subscribers.get(channel);
    if (subscribers === undefined) return;
    for (const bus of subscribers) bus.receive(channel, payload);
  }

  /** @internal */
  setSubscribed(channel: string, bus: InProcessBus, subscribed: boolean): void {
    let subscribers = this.subscribers.get(channel);
    if (subscribed) {
      if (subscribers === undefined) {
        subscribers = new Set();
        this.subscribers.set(channel, subscribers);
      }
      subscribers.add(bus);
    } else if (subscribers !== undefined && subscribers.delete(bus) && subscribers.size === 0) {
      this.subscribers.delete(channel);
    }
  }

  /** @internal */
  remove(bus: InProcessBus): void {
    this.endpoints.delete(bus);
    for (const [channel, subscribers] of this.subscribers) {
      if (subscribers.delete(bus) && subscribers.size === 0) this.subscribers.delete(channel);
    }
  }
}

/** One node's endpoint of an {@link InProcessHub}. */
export class InProcessBus implements ClusterBus {
  readonly ordering: BusOrdering;
  private readonly listeners = new ChannelListeners();
  private attached = true;
  private readonly counters = { published: 0, received: 0 };
  /** Messages received per channel, for tests that check who hears what. */
  readonly receivedByChannel = new Map<string, number>();

  constructor(private readonly hub: InProcessHub) {
    this.ordering = hub.ordering;
  }

  get metrics(): Readonly<Record<string, number>> {
    return { ...this.counters };
  }

  /** Channels this endpoint currently listens to. */
  subscriptions(): string[] {
    return [...this.listeners.channels()];
  }

  publish(channel: string, payload: Uint8Array, _volatile: boolean): void {
    if (!this.attached) return;
    this.counters.published++;
    this.hub.atBroker(channel, () => this.hub.route(channel, payload));
  }

  /** Resolves once the broker delivers `channel` to this endpoint. */
  subscribe(channel: string, listener: BusListener): void | Promise<void> {
    if (!this.listeners.add(channel, listener)) return;
    return new Promise((resolve) => {
      this.hub.atBroker(channel, () => {
        // Unsubscribed (or detached) while the SUBSCRIBE was on its way: nothing to add.
        if (this.attached && this.listeners.has(channel)) this.hub.setSubscribed(channel, this, true);
        resolve();
      });
    });
  }

  unsubscribe(channel: string, listener: BusListener): void {
    if (!this.listeners.remove(channel, listener)) return;
    // Messages still on their way are dropped here at once, as the Redis transport does.
    this.hub.atBroker(channel, () => {
      if (!this.listeners.has(channel)) this.hub.setSubscribed(channel, this, false);
    });
  }

  /** @internal */
  receive(channel: string, payload: Uint8Array): void {
    if (!this.attached || !this.listeners.has(channel)) return;
    this.counters.received++;
    this.receivedByChannel.set(channel, (this.receivedByChannel.get(channel) ?? 0) + 1);
    this.listeners.dispatch(channel, payload, () => {});
  }

  /** Cuts this endpoint off without a goodbye, as if its process had died. */
  detach(): void {
    this.attached = false;
    this.hub.remove(this);
  }
}
