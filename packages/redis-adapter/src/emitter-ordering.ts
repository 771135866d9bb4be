import {
  type BusListener,
  channelNames,
  type ClusterLogger,
  type ClusterRequest,
  type MembershipChange,
  MessageType,
  msgpackClusterCodec,
  OrderedPublisher,
  type OrderingCounters,
  type Room,
  type RoutingOptions,
} from "@roomcast/core";
import { isRedisCluster, type PubSubMode, RedisBus } from "./redis-bus.js";
import type { RedisClient } from "./redis-client.js";

export interface EmitterOrderingContext {
  readonly client: RedisClient;
  readonly mode: PubSubMode;
  readonly prefix: string;
  readonly uid: string;
  readonly routing: RoutingOptions;
  readonly counters: { published: number; publishFailures: number };
  readonly logger: ClusterLogger;
  /** Subscriber for the confirmations; made from `client` on the first change that needs one when absent. */
  readonly subClient: RedisClient | undefined;
  readonly timeout: number;
  readonly maxHeld: number;
}

const NO_ROOMS: ReadonlySet<Room> = new Set();

/** What `duplicate` accepts on an ioredis Cluster: other startup nodes and options. */
interface DuplicableCluster {
  duplicate(startupNodes: unknown[], options: { shardedSubscribers: boolean }): RedisClient;
}

/**
 * An emitter's operations kept in order on every node, namespace by namespace, the way a node's
 * own are (core's OrderedPublisher). The nodes confirm a membership change on the emitter's
 * response channel, `<prefix>-response#<nsp>#<uid>#`, so an emitter that makes such changes gets
 * a subscriber connection (made with `client.duplicate()` unless `subClient` is given) on the
 * first one that needs a confirmation. Having no node registry, it asks the first node that
 * confirms for the list of nodes, and a change nobody heard (PUBLISH answered 0) holds nothing.
 */
export class EmitterOrdering {
  private readonly publishers = new Map<string, OrderedPublisher>();
  private readonly listening = new Set<string>();
  /** Response channels subscribed, with their listeners, to leave on close. */
  private readonly subscriptions: [string, BusListener][] = [];
  private bus: RedisBus | undefined;
  private sub: RedisClient | undefined;
  private closed = false;

  constructor(private readonly context: EmitterOrderingContext) {}

  /** The counters of every namespace, added up, and the operations held now. */
  metrics(): OrderingCounters & { heldOperations: number } {
    const total = { orderingHolds: 0, orderingTimeouts: 0, orderingOverflows: 0, fenceOverflows: 0, heldOperations: 0 };
    for (const publisher of this.publishers.values()) {
      const c = publisher.counters;
      total.orderingHolds += c.orderingHolds;
      total.orderingTimeouts += c.orderingTimeouts;
      total.orderingOverflows += c.orderingOverflows;
      total.fenceOverflows += c.fenceOverflows;
      total.heldOperations += publisher.held;
    }
    return total;
  }

  /**
   * Publishes `message` on the channels `broadcastChannels` chose for `rooms` (or on the
   * namespace channel, `rooms` left out), after the changes before it.
   * @throws what the codec throws for arguments it cannot encode, as before anything is sent
   */
  publish(nsp: string, channels: readonly string[], message: ClusterRequest, rooms: ReadonlySet<Room> = NO_ROOMS): void {
    if (this.closed) return;
    const payload = msgpackClusterCodec.encode(message);
    this.publisher(nsp).publishBroadcast(channels, rooms, payload, false);
  }

  /** Publishes a membership change of `nsp`; what follows waits for the nodes when needed. */
  change(nsp: string, message: MembershipChange): void {
    if (this.closed) return;
    const publisher = this.publisher(nsp);
    // The confirmations must be heard: the first change waits for the response subscription.
    if (!this.listening.has(nsp) && this.mayNeedConfirmation(message)) {
      this.listening.add(nsp);
      publisher.holdUntil(this.listen(nsp, publisher));
    }
    publisher.change(message);
  }

  /** Publishes what is held at once and releases the subscriber connection the emitter made. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const publisher of this.publishers.values()) publisher.close();
    for (const [channel, listener] of this.subscriptions) this.bus?.unsubscribe(channel, listener);
    this.subscriptions.length = 0;
    this.bus = undefined;
    if (this.sub !== undefined && this.sub !== this.context.subClient) this.sub.disconnect();
    this.sub = undefined;
  }

  private mayNeedConfirmation(message: MembershipChange): boolean {
    if (this.crossChannelOrder() && message.type !== MessageType.SOCKETS_JOIN) return false;
    return true;
  }

  private crossChannelOrder(): boolean {
    return !isRedisCluster(this.context.client);
  }

  private publisher(nsp: string): OrderedPublisher {
    let publisher = this.publishers.get(nsp);
    if (publisher !== undefined) return publisher;
    const { context } = this;
    const names = channelNames(context.prefix, nsp);
    const created = new OrderedPublisher((channel, payload, _volatile, changeId) => this.send(created, channel, payload, changeId), {
      namespaceChannel: names.namespace,
      roomChannel: names.room,
      crossChannelOrder: this.crossChannelOrder(),
      isPrivateRoom: context.routing.isPrivateRoom,
      timeout: context.timeout,
      maxHeld: context.maxHeld,
      nodes: () => undefined,
      encode: (message) => this.encode(message),
      onGiveUp: (reason) =>
        context.logger.warn(
          reason === "timeout"
            ? `roomcast emitter: a membership change of ${nsp} was not confirmed by every node within ${context.timeout} ms; later operations go out without waiting`
            : `roomcast emitter: more than ${context.maxHeld} operations of ${nsp} waited for a membership change to be confirmed; they go out at once`,
        ),
    });
    publisher = created;
    this.publishers.set(nsp, publisher);
    return publisher;
  }

  private send(publisher: OrderedPublisher, channel: string, payload: Uint8Array, changeId: string | undefined): void {
    const { client, mode, counters } = this.context;
    const message = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    const sent = mode === "classic" ? client.publish(channel, message) : client.spublish(channel, message);
    sent.then(
      (receivers) => {
        counters.published++;
        // No node subscribes to the namespace: nobody will confirm, and nothing needs ordering.
        if (changeId !== undefined && Number(receivers) === 0) publisher.unheard(changeId);
      },
      () => {
        counters.publishFailures++;
        if (changeId !== undefined) publisher.unheard(changeId);
      },
    );
  }

  private listen(nsp: string, publisher: OrderedPublisher): Promise<void> {
    const channel = channelNames(this.context.prefix, nsp).response(this.context.uid);
    const listener: BusListener = (payload) => {
      const message = msgpackClusterCodec.decode(payload);
      if (message?.type === MessageType.CHANGE_APPLIED && message.nsp === nsp) publisher.confirmed(message.uid, message.requestId, message.nodes);
    };
    this.subscriptions.push([channel, listener]);
    return this.subscriber().subscribe(channel, listener) ?? Promise.resolve();
  }

  private subscriber(): RedisBus {
    if (this.bus !== undefined) return this.bus;
    const { client, mode, subClient, logger } = this.context;
    const sub =
      subClient ??
      (isRedisCluster(client) && mode === "sharded" ? (client as unknown as DuplicableCluster).duplicate([], { shardedSubscribers: true }) : client.duplicate());
    this.sub = sub;
    // The bus only subscribes here; its publisher side is never used.
    this.bus = new RedisBus(sub, sub, mode, { logger });
    return this.bus;
  }

  /* Changes and fences carry only names and options: a failure here is a bug, reported, not thrown from a timer. */
  private encode(message: ClusterRequest): Uint8Array | undefined {
    try {
      return msgpackClusterCodec.encode(message);
    } catch (err) {
      this.context.logger.warn(`roomcast emitter: message type ${message.type} could not be encoded`, err);
      return undefined;
    }
  }
}
