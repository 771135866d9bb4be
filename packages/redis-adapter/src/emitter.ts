import { randomBytes } from "node:crypto";
import {
  type BroadcastFlags,
  type BroadcastOptions,
  broadcastChannels,
  channelNames,
  type ClusterLogger,
  type ClusterRequest,
  looksLikeSocketId,
  MessageType,
  type OrderingCounters,
  type Room,
  type RoutingOptions,
  toWireOptions,
} from "@roomcast/core";
import { PacketType, RESERVED_EVENTS } from "@roomcast/protocol";
import { EmitterOrdering } from "./emitter-ordering.js";
import type { PubSubMode } from "./redis-bus.js";
import type { RedisClient } from "./redis-client.js";

export interface EmitterOptions {
  /** Must match the servers' adapter `prefix`. Default "roomcast". */
  prefix?: string;
  /** Must match the servers' adapter: "sharded" for `createShardedAdapter`. Default "classic". */
  mode?: PubSubMode;
  /** Must match the servers' adapter option of the same name. */
  isPrivateRoom?: (room: Room) => boolean;
  /** Must match the servers' adapter option of the same name. Default 8. */
  maxRoomChannels?: number;
  /**
   * Subscriber connection on which the nodes confirm this emitter's membership changes. Default:
   * `client.duplicate()` (with `shardedSubscribers` for a sharded Cluster), made on the first
   * change that needs confirming and disconnected by `close()`.
   */
  subClient?: RedisClient;
  /** ms later operations wait at most for the nodes to confirm a membership change. Default 3000. */
  orderingTimeout?: number;
  /** Operations held at most while a change is confirmed; one more sends them all at once (counted). Default 10000. */
  maxHeldOperations?: number;
  /** Where the emitter reports what it cannot throw (a node that did not confirm, an outage). Default `console`. */
  logger?: ClusterLogger;
}

/** What an emitter counts: publish outcomes, and how its operations were kept in order. */
export type EmitterMetrics = { published: number; publishFailures: number } & OrderingCounters & { heldOperations: number };

interface EmitterContext {
  readonly client: RedisClient;
  readonly mode: PubSubMode;
  readonly prefix: string;
  readonly routing: RoutingOptions;
  /** Counts its own losses: an emitter has no adapter to report them. */
  readonly counters: { published: number; publishFailures: number };
  /** Distinguishes this emitter's multi-room broadcasts from other publishers'. */
  readonly uid: string;
  sequence: number;
  /** Keeps this emitter's operations in order on every node. */
  readonly ordering: EmitterOrdering;
}

function toRooms(rooms: Room | Room[]): Room[] {
  return Array.isArray(rooms) ? rooms : [rooms];
}

/**
 * An immutable view of a namespace: `to`, `in`, `except` and the flags each return a new one.
 * The Emitter and its `of()` namespaces share this one surface.
 */
export class EmitterOperator {
  constructor(
    private readonly context: EmitterContext,
    readonly nsp: string,
    private readonly rooms: ReadonlySet<Room> = new Set(),
    private readonly exceptRooms: ReadonlySet<Room> = new Set(),
    private readonly flags: Readonly<BroadcastFlags> = {},
  ) {}

  /** Targets the members of `rooms` (in addition to the rooms already targeted). */
  to(rooms: Room | Room[]): EmitterOperator {
    const next = new Set(this.rooms);
    for (const room of toRooms(rooms)) next.add(room);
    return new EmitterOperator(this.context, this.nsp, next, this.exceptRooms, this.flags);
  }

  /** Alias of `to`. */
  in(rooms: Room | Room[]): EmitterOperator {
    return this.to(rooms);
  }

  /** Leaves out the members of `rooms`. */
  except(rooms: Room | Room[]): EmitterOperator {
    const next = new Set(this.exceptRooms);
    for (const room of toRooms(rooms)) next.add(room);
    return new EmitterOperator(this.context, this.nsp, this.rooms, next, this.flags);
  }

  /** Sockets that cannot take the packet now (congested, reconnecting) skip it. */
  get volatile(): EmitterOperator {
    return new EmitterOperator(this.context, this.nsp, this.rooms, this.exceptRooms, { ...this.flags, volatile: true });
  }

  compress(compress: boolean): EmitterOperator {
    return new EmitterOperator(this.context, this.nsp, this.rooms, this.exceptRooms, { ...this.flags, compress });
  }

  /**
   * Emits `event` to the targeted sockets on every node. Acks cannot come back to a process with
   * no sockets, so a callback argument is refused.
   */
  emit(event: string, ...args: unknown[]): true {
    if (RESERVED_EVENTS.has(event)) throw new Error(`"${event}" is a reserved event name`);
    if (typeof args[args.length - 1] === "function") throw new Error("an Emitter cannot receive acks");
    const opts = this.options();
    const message: ClusterRequest = {
      type: MessageType.BROADCAST,
      uid: this.context.uid,
      nsp: this.nsp,
      opts: toWireOptions(opts),
      packet: { type: PacketType.EVENT, nsp: this.nsp, data: [event, ...args] },
    };
    const channels = broadcastChannels(channelNames(this.context.prefix, this.nsp), opts, this.context.routing);
    if (channels.length > 1) message.mid = String(++this.context.sequence);
    this.context.ordering.publish(this.nsp, channels, message, opts.rooms);
    return true;
  }

  /**
   * Makes the targeted sockets join `rooms`. What this emitter does next in this namespace
   * reaches every node after the join (see `EmitterOrdering`).
   */
  socketsJoin(rooms: Room | Room[]): void {
    const opts = toWireOptions(this.options());
    this.context.ordering.change(this.nsp, { type: MessageType.SOCKETS_JOIN, uid: this.context.uid, nsp: this.nsp, opts, rooms: toRooms(rooms) });
  }

  /** Makes the targeted sockets leave `rooms`; what this emitter does next comes after. */
  socketsLeave(rooms: Room | Room[]): void {
    const opts = toWireOptions(this.options());
    this.context.ordering.change(this.nsp, { type: MessageType.SOCKETS_LEAVE, uid: this.context.uid, nsp: this.nsp, opts, rooms: toRooms(rooms) });
  }

  /** Disconnects the targeted sockets; `close` also closes their connections. What follows comes after. */
  disconnectSockets(close = false): void {
    const opts = toWireOptions(this.options());
    this.context.ordering.change(this.nsp, { type: MessageType.DISCONNECT_SOCKETS, uid: this.context.uid, nsp: this.nsp, opts, close });
  }

  /** Runs the `serverSideEmit` listeners of this namespace on every node (no acks from an emitter). */
  serverSideEmit(event: string, ...args: unknown[]): void {
    if (typeof args[args.length - 1] === "function") throw new Error("an Emitter cannot receive acks");
    this.control({ type: MessageType.SERVER_SIDE_EMIT, uid: this.context.uid, nsp: this.nsp, args: [event, ...args] });
  }

  private options(): BroadcastOptions {
    return { rooms: new Set(this.rooms), except: new Set(this.exceptRooms), flags: { ...this.flags } };
  }

  private control(message: ClusterRequest): void {
    this.context.ordering.publish(this.nsp, [channelNames(this.context.prefix, this.nsp).namespace], message);
  }
}

/**
 * Emits to a roomcast cluster from a process that has no sockets (a worker, a cron job), through
 * the same Redis the servers' adapter uses.
 *
 * @example
 * const emitter = new Emitter(new Redis(process.env.REDIS_URL));
 * emitter.to("lobby").emit("news", { title: "hello" });
 * emitter.of("/admin").in("ops").socketsJoin("alerts");
 * // one origin: every node applies these in this order, the join first
 * emitter.in(socketId).socketsJoin("game-1");
 * emitter.to("game-1").emit("state", 1);
 * await emitter.close();
 */
export class Emitter {
  private readonly context: EmitterContext;
  private readonly root: EmitterOperator;

  constructor(client: RedisClient, opts: EmitterOptions = {}, nsp = "/") {
    const mode = opts.mode ?? "classic";
    const prefix = opts.prefix ?? "roomcast";
    const routing = { isPrivateRoom: opts.isPrivateRoom ?? looksLikeSocketId, maxRoomChannels: opts.maxRoomChannels ?? 8 };
    const counters = { published: 0, publishFailures: 0 };
    const uid = `emitter-${randomBytes(6).toString("base64url")}`;
    const ordering = new EmitterOrdering({
      client,
      mode,
      prefix,
      uid,
      routing,
      counters,
      logger: opts.logger ?? console,
      subClient: opts.subClient,
      /* as the adapter's default: a Redis round trip is a millisecond */
      timeout: opts.orderingTimeout ?? 3000,
      maxHeld: opts.maxHeldOperations ?? 10_000,
    });
    this.context = { client, mode, prefix, routing, counters, uid, sequence: 0, ordering };
    // An unreachable Redis shows in `metrics.publishFailures`, never as an unhandled error.
    if (client.listenerCount("error") === 0) client.on("error", () => {});
    this.root = new EmitterOperator(this.context, nsp);
  }

  /** Publish outcomes so far, and the ordering's counters (see docs/DEPLOYMENT.md, "Order of operations"). */
  get metrics(): Readonly<EmitterMetrics> {
    return { ...this.context.counters, ...this.context.ordering.metrics() };
  }

  /**
   * Sends at once what waits for a confirmation and disconnects the subscriber connection the
   * emitter made for confirmations (a `subClient` given in the options stays open). The Redis
   * client passed to the constructor stays open. Operations after `close()` are ignored.
   */
  close(): Promise<void> {
    this.context.ordering.close();
    return Promise.resolve();
  }

  /** The same emitter for another namespace. */
  of(nsp: string): EmitterOperator {
    return new EmitterOperator(this.context, nsp.startsWith("/") ? nsp : `/${nsp}`);
  }

  to(rooms: Room | Room[]): EmitterOperator {
    return this.root.to(rooms);
  }

  in(rooms: Room | Room[]): EmitterOperator {
    return this.root.in(rooms);
  }

  except(rooms: Room | Room[]): EmitterOperator {
    return this.root.except(rooms);
  }

  get volatile(): EmitterOperator {
    return this.root.volatile;
  }

  emit(event: string, ...args: unknown[]): true {
    return this.root.emit(event, ...args);
  }

  socketsJoin(rooms: Room | Room[]): void {
    this.root.socketsJoin(rooms);
  }

  socketsLeave(rooms: Room | Room[]): void {
    this.root.socketsLeave(rooms);
  }

  disconnectSockets(close = false): void {
    this.root.disconnectSockets(close);
  }

  serverSideEmit(event: string, ...args: unknown[]): void {
    this.root.serverSideEmit(event, ...args);
  }
}
