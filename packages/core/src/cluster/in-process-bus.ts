import { type BusListener, ChannelListeners, type ClusterBus } from "./bus.js";

/**
 * A cluster bus inside one process: several servers in the same process (tests, a demo) share
 * one hub and each gets its own endpoint. Delivery is asynchronous, like a real broker's.
 *
 * @example
 * const hub = new InProcessHub();
 * const io1 = new Server(0, { adapter: createClusterAdapter(hub.endpoint()) });
 * const io2 = new Server(0, { adapter: createClusterAdapter(hub.endpoint()) });
 */
export class InProcessHub {
  private readonly endpoints = new Set<InProcessBus>();

  /** A new endpoint attached to this hub. */
  endpoint(): InProcessBus {
    const bus = new InProcessBus(this);
    this.endpoints.add(bus);
    return bus;
  }

  /** @internal */
  route(channel: string, payload: Uint8Array): void {
    for (const bus of this.endpoints) bus.receive(channel, payload);
  }

  /** @internal */
  remove(bus: InProcessBus): void {
    this.endpoints.delete(bus);
  }
}

/** One node's endpoint of an {@link InProcessHub}. */
export class InProcessBus implements ClusterBus {
  private readonly listeners = new ChannelListeners();
  private attached = true;
  private readonly counters = { published: 0, received: 0 };
  /** Messages received per channel, for tests that check who hears what. */
  readonly receivedByChannel = new Map<string, number>();

  constructor(private readonly hub: InProcessHub) {}

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
    setImmediate(() => this.hub.route(channel, payload));
  }

  subscribe(channel: string, listener: BusListener): void {
    this.listeners.add(channel, listener);
  }

  unsubscribe(channel: string, listener: BusListener): void {
    this.listeners.remove(channel, listener);
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
