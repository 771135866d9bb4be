/**
 * What the cluster adapter needs of a transport: publish bytes on a channel, and hear the bytes
 * published on the channels it subscribes to. One bus usually serves every namespace of a server
 * (one Redis subscriber connection for all of them).
 */
export interface ClusterBus {
  /**
   * Publishes `payload` on `channel`. Never throws: a transport that cannot publish counts the
   * loss in its metrics. `volatile` messages may be dropped at once while the transport is down
   * instead of being queued.
   */
  publish(channel: string, payload: Uint8Array, volatile: boolean): void;
  /**
   * Adds a listener; the first listener of a channel subscribes to it. May return a promise that
   * settles once the subscription is active (it never rejects).
   */
  subscribe(channel: string, listener: BusListener): void | Promise<void>;
  /** Removes a listener; the last one leaving unsubscribes. */
  unsubscribe(channel: string, listener: BusListener): void;
  /**
   * Counters of the transport itself (publish failures, reconnects...), shown in
   * `adapter.metrics.transport`. A transport that can lose its connection also reports
   * `connected`: 1 while it can publish and hear, 0 otherwise; `io.health()` is not ready at 0.
   */
  readonly metrics?: Readonly<Record<string, number>>;
  /**
   * The order in which one subscriber hears one publisher's messages. Messages reach a
   * subscriber only on the channels it is subscribed to when the broker handles the publish, in
   * both cases. Default "channel", the weaker promise.
   * - "publisher": publish order across every channel (one Redis server: PUBLISH and SPUBLISH).
   * - "channel": publish order within each channel only (sharded pub/sub on a Redis Cluster,
   *   where channels live on different shards).
   */
  readonly ordering?: BusOrdering;
}

/** See {@link ClusterBus.ordering}. */
export type BusOrdering = "publisher" | "channel";

export type BusListener = (payload: Uint8Array, channel: string) => void;

/**
 * Channel -> listeners, with the subscribe/unsubscribe edges a transport acts on. Shared by the
 * in-process bus and the Redis transports.
 */
export class ChannelListeners {
  private readonly byChannel = new Map<string, Set<BusListener>>();

  /** Returns true when `channel` got its first listener (the transport must subscribe). */
  add(channel: string, listener: BusListener): boolean {
    let listeners = this.byChannel.get(channel);
    const first = listeners === undefined;
    if (!listeners) {
      listeners = new Set();
      this.byChannel.set(channel, listeners);
    }
    listeners.add(listener);
    return first;
  }

  /** Returns true when `channel` lost its last listener (the transport must unsubscribe). */
  remove(channel: string, listener: BusListener): boolean {
    const listeners = this.byChannel.get(channel);
    if (!listeners || !listeners.delete(listener)) return false;
    if (listeners.size > 0) return false;
    this.byChannel.delete(channel);
    return true;
  }

  has(channel: string): boolean {
    return this.byChannel.has(channel);
  }

  channels(): IterableIterator<string> {
    return this.byChannel.keys();
  }

  get size(): number {
    return this.byChannel.size;
  }

  /** Hands `payload` to every listener of `channel`; a throwing listener does not stop the others. */
  dispatch(channel: string, payload: Uint8Array, onError: (err: unknown) => void): void {
    const listeners = this.byChannel.get(channel);
    if (!listeners) return;
    for (const listener of listeners) {
      try {
        listener(payload, channel);
      } catch (err) {
        onError(err);
      }
    }
  }
}
