import { randomBytes } from "node:crypto";
import { ErrorCode, type Packet, RoomcastError } from "@roomcast/protocol";
import { Adapter, type AdapterConstructor, type AdapterNamespace, type HandledLateNotice, type SocketDetails } from "../broadcast/adapter.js";
import { OutgoingPacket } from "../dialect/outgoing-packet.js";
import type { BroadcastOptions, Room } from "../types.js";
import type { BusListener, ClusterBus } from "./bus.js";
import { broadcastChannels, channelNames, looksLikeSocketId, type ChannelNames, type RoutingOptions } from "./channels.js";
import { FenceGate } from "./fence-gate.js";
import { type ClusterCodec, msgpackClusterCodec } from "./message-codec.js";
import {
  type BroadcastMessage,
  type ClusterMessage,
  type ClusterRequest,
  type ClusterResponse,
  fromWireOptions,
  type MembershipChange,
  MessageType,
  toWireOptions,
  type WireSocketDetails,
} from "./messages.js";
import { NodeRegistry } from "./node-registry.js";
import { OrderedPublisher, type OrderingCounters } from "./ordered-publisher.js";
import { PendingRequests } from "./pending-requests.js";
import { RecentIds } from "./recent-ids.js";
import { traceCluster } from "../trace.js";
import { BroadcastAckRequest, CollectingRequest } from "./requests.js";

/** Where the adapter reports what it cannot throw (a lost message, a failing listener). */
export interface ClusterLogger {
  warn(message: string, ...details: unknown[]): void;
}

export interface ClusterAdapterOptions {
  /** First part of every channel name; nodes with different prefixes never hear each other. Default "roomcast". */
  prefix?: string;
  /** Milliseconds between heartbeats. Default 5000. */
  heartbeatInterval?: number;
  /** A node silent this long leaves `serverCount()` and fails the requests waiting on it. Default 10000. */
  heartbeatTimeout?: number;
  /** Milliseconds a cluster request (fetchSockets, serverSideEmit with ack) waits for answers. Default 5000. */
  requestsTimeout?: number;
  /** Cluster requests in flight per namespace; one more is refused. Default 1000. */
  maxPendingRequests?: number;
  /** Rooms that get no channel of their own (see `looksLikeSocketId`). */
  isPrivateRoom?: (room: Room) => boolean;
  /** A broadcast to more rooms than this is published once on the namespace channel. Default 8. */
  maxRoomChannels?: number;
  /** Ids of multi-room broadcasts remembered to drop their copies. Default 2000. */
  dedupWindow?: number;
  /** Message codec; every node must use the same one. Default msgpackr. */
  codec?: ClusterCodec;
  /** Default `console`. */
  logger?: ClusterLogger;
  /**
   * Milliseconds this node holds its later operations while the other nodes confirm a membership
   * change (see docs/DEPLOYMENT.md, "Order of operations"); a node waits half of it for fences.
   * Default 3000.
   */
  orderingTimeout?: number;
  /** Operations held at most while a change is confirmed; one more publishes them all at once (counted). Default 10000. */
  maxHeldOperations?: number;
}

/** What the adapter counts; losses are never silent. */
export interface ClusterMetrics {
  /** Messages encoded: one per broadcast or request, however many channels and nodes. */
  encoded: number;
  /** Publish calls made (one per channel). */
  published: number;
  /** Messages from other nodes this adapter acted on. */
  received: number;
  /** Bytes that were not a valid cluster message. */
  malformed: number;
  /** Copies of multi-room broadcasts dropped. */
  duplicates: number;
  /** Messages that could not be encoded (not serialisable arguments). */
  encodeFailures: number;
  /** Errors thrown while handling another node's message. */
  handlerErrors: number;
  /** Nodes that stopped heartbeating without a close notice. */
  nodesLost: number;
  pendingRequests: number;
  /** Other nodes currently alive. */
  nodes: number;
  /** The transport's own counters (publish failures, reconnects). */
  transport: Readonly<Record<string, number>>;
  /** Changes after which this node held its later operations until the other nodes confirmed. */
  orderingHolds: number;
  /** Holds ended by `orderingTimeout` with a confirmation missing: that node may apply what follows out of order. */
  orderingTimeouts: number;
  /** Holds ended early because `maxHeldOperations` operations were waiting. */
  orderingOverflows: number;
  /** Changes that could not fence every room channel published on before them (sharded; over 1024 channels). */
  fenceOverflows: number;
  /** Operations held now. */
  heldOperations: number;
  /** Other origins' changes applied without all their fences, after half `orderingTimeout`. */
  fenceTimeouts: number;
}

type Counter = Exclude<keyof ClusterMetrics, "pendingRequests" | "nodes" | "transport" | "heldOperations" | keyof OrderingCounters>;

/* Acks may arrive a little after the broadcast operator's own deadline; keep routing them briefly. */
const ACK_ROUTING_SLACK_MS = 1000;

/**
 * An adapter whose operations reach every node of the cluster through a {@link ClusterBus}:
 * broadcasts (with acks), fetch / join / leave / disconnect sockets, server-side emit, and node
 * liveness through heartbeats. Each namespace has its own adapter and its own node uid.
 *
 * A node hears a room's broadcasts only while it has members in that room (room channels); the
 * namespace channel carries everything else. See `channels.ts` for the layout.
 */
export class ClusterAdapter extends Adapter {
  /** This node's identity in the namespace; messages carrying it are ignored on receipt. */
  readonly uid = randomBytes(9).toString("base64url");
  private readonly channels: ChannelNames;
  private readonly routing: RoutingOptions;
  private readonly codec: ClusterCodec;
  private readonly logger: ClusterLogger;
  private readonly heartbeatTimeout: number;
  private readonly requestsTimeout: number;
  private readonly nodes = new NodeRegistry();
  private readonly requests: PendingRequests;
  private readonly recentIds: RecentIds;
  private readonly subscribed = new Set<string>();
  /** Subscriptions the transport has not confirmed yet, by channel. */
  private readonly subscribing = new Map<string, Promise<void>>();
  /** This node's own operations, in order on every node. */
  private readonly ordering: OrderedPublisher;
  /** Other origins' changes waiting for their fences. */
  private readonly gate: FenceGate;
  private readonly counters: Record<Counter, number> = {
    encoded: 0,
    published: 0,
    received: 0,
    malformed: 0,
    duplicates: 0,
    encodeFailures: 0,
    handlerErrors: 0,
    nodesLost: 0,
    fenceTimeouts: 0,
  };
  private readonly heartbeatTimer: NodeJS.Timeout;
  private sequence = 0;
  private closed = false;
  /** ms an origin holds operations at most behind a change; a confirmation waits as long at most. */
  private readonly orderingTimeout: number;

  constructor(
    nsp: AdapterNamespace,
    private readonly bus: ClusterBus,
    opts: ClusterAdapterOptions = {},
  ) {
    super(nsp);
    this.channels = channelNames(opts.prefix ?? "roomcast", nsp.name);
    this.routing = { isPrivateRoom: opts.isPrivateRoom ?? looksLikeSocketId, maxRoomChannels: opts.maxRoomChannels ?? 8 };
    this.codec = opts.codec ?? msgpackClusterCodec;
    this.logger = opts.logger ?? console;
    this.heartbeatTimeout = opts.heartbeatTimeout ?? 10_000;
    this.requestsTimeout = opts.requestsTimeout ?? 5000;
    this.requests = new PendingRequests(opts.maxPendingRequests ?? 1000);
    this.recentIds = new RecentIds(opts.dedupWindow ?? 2000);
    /* a Redis round trip is a millisecond; seconds mean a node that is stuck or cut off */
    const orderingTimeout = positive("orderingTimeout", opts.orderingTimeout, 3000);
    this.orderingTimeout = orderingTimeout;
    this.ordering = new OrderedPublisher((channel, payload, volatile) => this.publish(channel, payload, volatile), {
      namespaceChannel: this.channels.namespace,
      roomChannel: this.channels.room,
      crossChannelOrder: bus.ordering === "publisher",
      isPrivateRoom: this.routing.isPrivateRoom,
      timeout: orderingTimeout,
      maxHeld: positive("maxHeldOperations", opts.maxHeldOperations, 10_000),
      nodes: () => this.nodes.alive(),
      encode: (message) => this.encode(message),
      appendsTaken: () => this.nsp.appendsTaken?.(),
      confirmEveryChange: () => this.nsp.recoveryDistributes === true,
      onRunError: (err) => {
        this.counters.handlerErrors++;
        this.logger.warn(`roomcast cluster: an operation of ${nsp.name} held behind a membership change failed`, err);
      },
      onGiveUp: (reason, missing) =>
        this.logger.warn(
          reason === "timeout"
            ? `roomcast cluster: node(s) ${missing.join(", ")} of ${nsp.name} did not confirm a membership change within ${orderingTimeout} ms; later operations go out without waiting for them`
            : `roomcast cluster: more than ${opts.maxHeldOperations ?? 10_000} operations of ${nsp.name} waited for a membership change to be confirmed; they go out at once`,
        ),
    });
    this.gate = new FenceGate({
      timeout: orderingTimeout / 2,
      apply: (change) => this.guarded(change, () => this.applyChange(change)),
      handle: (message, channel) => this.guarded(message as ClusterMessage, () => this.handle(message as ClusterMessage, channel)),
      onTimeout: () => this.counters.fenceTimeouts++,
    });

    // Started here rather than in init() so the adapter works whether or not its owner calls init.
    // The first heartbeat waits for the subscriptions: the answers to it must not be missed.
    void Promise.all([this.listen(this.channels.namespace), this.listen(this.channels.response(this.uid))]).then(() =>
      this.publishRequest({ type: MessageType.HEARTBEAT, uid: this.uid, nsp: nsp.name, initial: true }),
    );
    this.heartbeatTimer = setInterval(() => this.beat(), opts.heartbeatInterval ?? 5000);
    this.heartbeatTimer.unref();
  }

  get metrics(): ClusterMetrics {
    return {
      ...this.counters,
      ...this.ordering.counters,
      heldOperations: this.ordering.held,
      pendingRequests: this.requests.size,
      nodes: this.nodes.size,
      transport: this.bus.metrics ?? {},
    };
  }

  override close(): void {
    if (this.closed) return;
    // What waits for a confirmation goes out now, in order, ahead of the goodbye.
    this.ordering.close();
    this.publishNow({ type: MessageType.NODE_CLOSE, uid: this.uid, nsp: this.nsp.name });
    this.closed = true;
    clearInterval(this.heartbeatTimer);
    this.gate.close();
    for (const channel of this.subscribed) this.bus.unsubscribe(channel, this.onPayload);
    this.subscribed.clear();
    this.subscribing.clear();
    this.nodes.clear();
    this.requests.cancelAll(new RoomcastError(ErrorCode.SERVER_CLOSED, "the cluster adapter was closed"));
  }

  override serverCount(): Promise<number> {
    return Promise.resolve(this.nodes.size + 1);
  }

  protected override onRoomCreated(room: Room): void {
    super.onRoomCreated(room);
    if (!this.closed && !this.routing.isPrivateRoom(room)) this.listen(this.channels.room(room));
  }

  protected override onRoomDeleted(room: Room): void {
    super.onRoomDeleted(room);
    const channel = this.channels.room(room);
    this.subscribing.delete(channel);
    if (this.subscribed.delete(channel)) {
      this.bus.unsubscribe(channel, this.onPayload);
      if (this.gate.size > 0) this.gate.unlistened(channel);
    }
  }

  override broadcast(packet: OutgoingPacket, opts: BroadcastOptions): void {
    if (!opts.flags?.local) {
      const message: BroadcastMessage = {
        type: MessageType.BROADCAST,
        uid: this.uid,
        nsp: this.nsp.name,
        opts: toWireOptions(opts),
        packet: packet.packet,
      };
      const channels = broadcastChannels(this.channels, opts, this.routing);
      if (channels.length > 1) message.mid = String(++this.sequence);
      const payload = this.encode(message);
      if (payload) {
        const volatile = opts.flags?.volatile === true;
        this.ordering.publishBroadcast(channels, opts.rooms, payload, volatile);
      }
    }
    super.broadcast(packet, opts);
  }

  override broadcastWithAck(
    packet: OutgoingPacket,
    opts: BroadcastOptions,
    clientCountCallback: (clientCount: number) => void,
    ack: (...args: unknown[]) => void,
  ): void {
    const nodes = opts.flags?.local ? [] : this.nodes.alive();
    if (nodes.length > 0) {
      // Requests go on the namespace channel: every node alive must report a count, even with no member.
      const requestId = String(++this.sequence);
      const timeout = (opts.flags?.timeout ?? this.requestsTimeout) + ACK_ROUTING_SLACK_MS;
      try {
        this.requests.add(requestId, new BroadcastAckRequest(nodes, clientCountCallback, ack), timeout);
        this.publishRequest({
          type: MessageType.BROADCAST_WITH_ACK,
          uid: this.uid,
          nsp: this.nsp.name,
          requestId,
          opts: toWireOptions(opts),
          packet: packet.packet,
        });
      } catch (err) {
        // The operator's timeout reports the missing counts; the local part still goes out.
        this.logger.warn(`roomcast cluster: broadcast acks of ${this.nsp.name} stay local`, err);
      }
    }
    super.broadcastWithAck(packet, opts, clientCountCallback, ack);
  }

  override async fetchSockets(opts: BroadcastOptions): Promise<SocketDetails[]> {
    const local = await super.fetchSockets(opts);
    if (opts.flags?.local) return local;
    return this.request<SocketDetails>("fetchSockets", local, (requestId) => ({
      type: MessageType.FETCH_SOCKETS,
      uid: this.uid,
      nsp: this.nsp.name,
      requestId,
      opts: toWireOptions(opts),
    }), (message) => (message.type === MessageType.FETCH_SOCKETS_RESPONSE ? message.sockets.map(toSocketDetails) : undefined));
  }

  /*
   * Membership changes go through the ordering: what this node does next reaches every node
   * after the change, joined rooms subscribed (see OrderedPublisher).
   */
  override addSockets(opts: BroadcastOptions, rooms: Room[]): void {
    if (!opts.flags?.local && !this.closed) {
      this.ordering.change({ type: MessageType.SOCKETS_JOIN, uid: this.uid, nsp: this.nsp.name, opts: toWireOptions(opts), rooms });
    }
    super.addSockets(opts, rooms);
  }

  override delSockets(opts: BroadcastOptions, rooms: Room[]): void {
    if (!opts.flags?.local && !this.closed) {
      this.ordering.change({ type: MessageType.SOCKETS_LEAVE, uid: this.uid, nsp: this.nsp.name, opts: toWireOptions(opts), rooms });
    }
    super.delSockets(opts, rooms);
  }

  override disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    if (!opts.flags?.local && !this.closed) {
      this.ordering.change({ type: MessageType.DISCONNECT_SOCKETS, uid: this.uid, nsp: this.nsp.name, opts: toWireOptions(opts), close });
    }
    super.disconnectSockets(opts, close);
  }

  /**
   * Runs `fn` now when this node holds nothing, else in order with the broadcasts held behind its
   * membership changes (same `orderingTimeout` and `maxHeldOperations`): a recovery store's
   * appends reach the nodes after the changes made before them.
   */
  override afterPendingChanges(fn: () => void): void {
    if (this.closed) fn();
    else this.ordering.after(fn);
  }

  override handledLate(notice: HandledLateNotice): void {
    const { pid, sid, id, reply } = notice;
    this.publishRequest({ type: MessageType.HANDLED_LATE, uid: this.uid, nsp: this.nsp.name, pid, sid, id, ...(reply !== undefined && { reply }) });
  }

  /**
   * Runs the other nodes' `serverSideEmit` listeners. With a trailing callback, waits for one
   * reply per node alive now and calls it with `(null, replies)`, or with a PartialResponseError
   * (`err.responses`) when a node dies or stays silent past `requestsTimeout`.
   */
  override serverSideEmit(args: unknown[]): void {
    const last = args[args.length - 1];
    if (typeof last !== "function") {
      this.publishRequest({ type: MessageType.SERVER_SIDE_EMIT, uid: this.uid, nsp: this.nsp.name, args });
      return;
    }
    const callback = last as (err: Error | null, replies: unknown[]) => void;
    const sent = args.slice(0, -1);
    this.request<unknown>("serverSideEmit", [], (requestId) => ({
      type: MessageType.SERVER_SIDE_EMIT,
      uid: this.uid,
      nsp: this.nsp.name,
      requestId,
      args: sent,
    }), (message) => (message.type === MessageType.SERVER_SIDE_EMIT_RESPONSE ? [message.args[0]] : undefined)).then(
      (replies) => callback(null, replies),
      (err: Error & { responses?: unknown[] }) => callback(err, err.responses ?? []),
    );
  }

  /** Publishes a request to every node alive now and collects one answer from each. */
  private request<T>(
    what: string,
    initial: T[],
    build: (requestId: string) => ClusterRequest,
    extract: (message: ClusterResponse) => T[] | undefined,
  ): Promise<T[]> {
    const nodes = this.nodes.alive();
    if (this.closed || nodes.length === 0) return Promise.resolve(initial);
    return new Promise<T[]>((resolve, reject) => {
      const requestId = String(++this.sequence);
      try {
        this.requests.add(requestId, new CollectingRequest(what, nodes, initial, extract, resolve, reject), this.requestsTimeout);
      } catch (err) {
        reject(err as Error);
        return;
      }
      this.publishRequest(build(requestId));
    });
  }

  private beat(): void {
    this.publishNow({ type: MessageType.HEARTBEAT, uid: this.uid, nsp: this.nsp.name });
    for (const uid of this.nodes.sweep(Date.now() - this.heartbeatTimeout)) {
      this.counters.nodesLost++;
      this.logger.warn(`roomcast cluster: node ${uid} of ${this.nsp.name} stopped heartbeating`);
      this.requests.nodeGone(uid);
      this.ordering.nodeGone(uid);
    }
  }

  private listen(channel: string): void | Promise<void> {
    if (this.subscribed.has(channel)) return this.subscribing.get(channel);
    this.subscribed.add(channel);
    const active = this.bus.subscribe(channel, this.onPayload) as Promise<void> | undefined;
    if (active !== undefined) {
      this.subscribing.set(channel, active);
      void active.then(() => {
        if (this.subscribing.get(channel) === active) this.subscribing.delete(channel);
      });
    }
    return active;
  }

  /** True when this node hears `channel` now: subscribed, and the transport confirmed it. */
  private readonly listening = (channel: string): boolean => this.subscribed.has(channel) && !this.subscribing.has(channel);

  private encode(message: ClusterMessage): Uint8Array | undefined {
    try {
      const payload = this.codec.encode(message);
      this.counters.encoded++;
      return payload;
    } catch (err) {
      this.counters.encodeFailures++;
      this.logger.warn(`roomcast cluster: message type ${message.type} of ${this.nsp.name} could not be encoded`, err);
      return undefined;
    }
  }

  private publish(channel: string, payload: Uint8Array, volatile: boolean): void {
    this.counters.published++;
    if (traceCluster.enabled) traceCluster("%s publishes on %s (%d bytes)", this.uid, channel, payload.length);
    this.bus.publish(channel, payload, volatile);
  }

  /** A request on the namespace channel, in order with this node's other operations. */
  private publishRequest(message: ClusterRequest): void {
    if (this.closed) return;
    const payload = this.encode(message);
    if (payload) this.ordering.publish(this.channels.namespace, payload, false);
  }

  /** Heartbeats and the goodbye: about liveness, never held behind a change. */
  private publishNow(message: ClusterRequest): void {
    if (this.closed) return;
    const payload = this.encode(message);
    if (payload) this.publish(this.channels.namespace, payload, false);
  }

  private respond(to: string, message: ClusterResponse): void {
    if (this.closed) return;
    const payload = this.encode(message);
    if (payload) this.publish(this.channels.response(to), payload, false);
  }

  private readonly onPayload: BusListener = (payload, channel) => {
    if (this.closed) return;
    const message = this.codec.decode(payload);
    if (message === undefined) {
      this.counters.malformed++;
      return;
    }
    // A node hears its own publications; a prefix+namespace clash could bring another namespace's.
    if (message.uid === this.uid || message.nsp !== this.nsp.name) return;
    this.counters.received++;
    if (traceCluster.enabled) traceCluster("%s received type %d from %s in %s (%d bytes)", this.uid, message.type, message.uid, message.nsp, payload.length);
    // An origin's operations wait behind its change that waits for fences (rarely anything does).
    if (this.gate.size > 0 && isOrderedRequest(message.type) && this.gate.holds(message, channel)) return;
    this.guarded(message, () => this.handle(message, channel));
  };

  private guarded(message: ClusterMessage, run: () => void): void {
    try {
      run();
    } catch (err) {
      this.counters.handlerErrors++;
      this.logger.warn(`roomcast cluster: failed to handle message type ${message.type} on ${this.nsp.name}`, err);
    }
  }

  private handle(message: ClusterMessage, channel: string): void {
    const now = Date.now();
    if (message.type !== MessageType.HEARTBEAT) this.nodes.touch(message.uid, now);
    switch (message.type) {
      case MessageType.HEARTBEAT:
        this.nodes.heartbeat(message.uid, now);
        // A newcomer learns of every node at once instead of within one heartbeat interval.
        if (message.initial) this.publishNow({ type: MessageType.HEARTBEAT, uid: this.uid, nsp: this.nsp.name });
        return;
      case MessageType.NODE_CLOSE:
        this.gate.originGone(message.uid);
        this.ordering.nodeGone(message.uid);
        if (this.nodes.remove(message.uid)) this.requests.nodeGone(message.uid);
        return;
      case MessageType.BROADCAST:
        if (message.mid !== undefined && !this.recentIds.add(`${message.uid}:${message.mid}`)) {
          this.counters.duplicates++;
          return;
        }
        super.broadcast(new OutgoingPacket(message.packet), fromWireOptions(message.opts));
        return;
      case MessageType.BROADCAST_WITH_ACK: {
        const { uid: requester, requestId } = message;
        super.broadcastWithAck(
          new OutgoingPacket(this.withLocalAckId(message.packet)),
          fromWireOptions(message.opts),
          (clientCount) => this.respond(requester, { type: MessageType.BROADCAST_CLIENT_COUNT, uid: this.uid, nsp: this.nsp.name, requestId, clientCount }),
          (...args) => this.respond(requester, { type: MessageType.BROADCAST_ACK, uid: this.uid, nsp: this.nsp.name, requestId, args }),
        );
        return;
      }
      case MessageType.SOCKETS_JOIN:
      case MessageType.SOCKETS_LEAVE:
      case MessageType.DISCONNECT_SOCKETS: {
        // after the origin's earlier recoverable emits, which this node's store delivers apart
        const stored = message.storedThrough === undefined ? undefined : this.nsp.storeThrough?.(message.storedThrough);
        if ((message.fences !== undefined || stored !== undefined) && message.changeId !== undefined) {
          message.fences ??= [];
          this.gate.change(message as MembershipChange & { changeId: string; fences: string[] }, this.listening, stored);
        } else {
          this.applyChange(message);
        }
        return;
      }
      case MessageType.FENCE:
        this.gate.fence(message.uid, message.changeId, channel);
        return;
      case MessageType.CHANGE_APPLIED:
        this.ordering.confirmed(message.uid, message.requestId, message.nodes);
        return;
      case MessageType.FETCH_SOCKETS: {
        const { uid: requester, requestId } = message;
        void super.fetchSockets(fromWireOptions(message.opts)).then((found) => {
          const sockets = found.map((socket) => this.describe(socket));
          this.respond(requester, { type: MessageType.FETCH_SOCKETS_RESPONSE, uid: this.uid, nsp: this.nsp.name, requestId, sockets });
        });
        return;
      }
      case MessageType.SERVER_SIDE_EMIT:
        this.onServerSideEmit(message.uid, message.requestId, message.args);
        return;
      case MessageType.HANDLED_LATE: {
        const { pid, sid, id, reply } = message;
        this.nsp.onHandledLate?.(reply === undefined ? { pid, sid, id } : { pid, sid, id, reply });
        return;
      }
      case MessageType.BROADCAST_CLIENT_COUNT:
      case MessageType.BROADCAST_ACK:
      case MessageType.FETCH_SOCKETS_RESPONSE:
      case MessageType.SERVER_SIDE_EMIT_RESPONSE:
        this.requests.receive(message.requestId, message.uid, message);
        return;
    }
  }

  /** Applies another origin's membership change, then confirms it when asked. */
  private applyChange(change: MembershipChange): void {
    try {
      const opts = fromWireOptions(change.opts);
      if (change.type === MessageType.SOCKETS_JOIN) super.addSockets(opts, change.rooms);
      else if (change.type === MessageType.SOCKETS_LEAVE) super.delSockets(opts, change.rooms);
      else super.disconnectSockets(opts, change.close);
    } finally {
      // Even a change that threw halfway is confirmed: the origin must not wait for it in vain.
      if (change.confirm !== undefined && change.changeId !== undefined) {
        this.confirmChange(change.uid, change.changeId, change.confirm === 2, change.type === MessageType.SOCKETS_JOIN ? change.rooms : undefined);
      }
    }
  }

  /*
   * The confirmation waits for every subscription still in flight, not only this change's: a
   * room may have been created by a local join a moment earlier and still be subscribing.
   */
  private confirmChange(origin: string, changeId: string, listNodes: boolean, joined: readonly Room[] | undefined): void {
    const confirm = (): void => {
      if (this.closed) return;
      const nodes = listNodes ? [...this.nodes.alive(), this.uid] : undefined;
      this.respond(origin, { type: MessageType.CHANGE_APPLIED, uid: this.uid, nsp: this.nsp.name, requestId: changeId, ...(nodes && { nodes }) });
    };
    // a recovery store that follows rooms must know where the joined rooms' packets start
    const storeReady = joined === undefined ? undefined : this.nsp.roomsReady?.(joined);
    if (this.subscribing.size === 0 && storeReady === undefined) {
      confirm();
      return;
    }
    const waits: Promise<unknown>[] = [...this.subscribing.values()];
    if (storeReady !== undefined) waits.push(storeReady.catch(() => {}));
    // bounded: the origin stops waiting at orderingTimeout anyway, and so does this confirmation
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.orderingTimeout);
      timer.unref();
    });
    void Promise.race([Promise.all(waits), deadline]).then(() => {
      clearTimeout(timer);
      confirm();
    });
  }

  private onServerSideEmit(requester: string, requestId: string | undefined, args: unknown[]): void {
    if (requestId === undefined) {
      this.nsp.onServerSideEmit(args);
      return;
    }
    let replied = false;
    const reply = (...replyArgs: unknown[]): void => {
      if (replied) return;
      replied = true;
      this.respond(requester, { type: MessageType.SERVER_SIDE_EMIT_RESPONSE, uid: this.uid, nsp: this.nsp.name, requestId, args: replyArgs });
    };
    this.nsp.onServerSideEmit([...args, reply]);
  }

  /*
   * Ack ids come from each server's own counter, so the requester's id may already be pending on
   * a local socket. The packet gets an id of this node's counter instead; the replies travel back
   * by requestId, never by ack id.
   */
  private withLocalAckId(packet: Packet): Packet {
    return "id" in packet ? { ...packet, id: this.nsp.nextAckId() } : packet;
  }

  private describe(socket: SocketDetails): WireSocketDetails {
    return {
      id: socket.id,
      handshake: socket.handshake,
      rooms: [...(this.socketRooms(socket.id) ?? [])],
      data: socket.data,
    };
  }
}

/* Messages that take their place in their origin's order; responses and heartbeats do not. */
function isOrderedRequest(type: MessageType): boolean {
  return (
    type !== MessageType.HEARTBEAT &&
    type !== MessageType.NODE_CLOSE &&
    type !== MessageType.BROADCAST_CLIENT_COUNT &&
    type !== MessageType.BROADCAST_ACK &&
    type !== MessageType.FETCH_SOCKETS_RESPONSE &&
    type !== MessageType.SERVER_SIDE_EMIT_RESPONSE &&
    type !== MessageType.CHANGE_APPLIED
  );
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`cluster adapter option "${name}" must be a positive number of ${name === "orderingTimeout" ? "ms" : "operations"}, got ${String(value)}`);
  }
  return value;
}

function toSocketDetails(wire: WireSocketDetails): SocketDetails {
  return { id: wire.id, handshake: wire.handshake, rooms: new Set(wire.rooms), data: wire.data };
}

/**
 * The adapter factory for `io.adapter(...)` or the server's `adapter` option: every namespace
 * gets a ClusterAdapter on `bus`.
 *
 * @example
 * const hub = new InProcessHub();
 * const io = new Server(0, { adapter: createClusterAdapter(hub.endpoint(), { heartbeatInterval: 1000 }) });
 */
export function createClusterAdapter(bus: ClusterBus, opts: ClusterAdapterOptions = {}): AdapterConstructor {
  return class extends ClusterAdapter {
    constructor(nsp: AdapterNamespace) {
      super(nsp, bus, opts);
    }
  };
}
