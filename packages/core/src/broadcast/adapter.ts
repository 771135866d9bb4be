import { EventEmitter } from "node:events";
import type { OutgoingPacket } from "../dialect/outgoing-packet.js";
import type { BroadcastFlags, BroadcastOptions, Handshake, Room, SocketId } from "../types.js";

/** What an adapter needs of a server-side socket. */
export interface AdapterSocket {
  readonly id: SocketId;
  data: unknown;
  readonly handshake: Handshake;
  readonly connected: boolean;
  /** Queues an encoded packet; a volatile one may be dropped (and counted) when the socket is congested. */
  deliver(packet: OutgoingPacket, flags: BroadcastFlags | undefined): void;
  /** Registers the callback for the ack of broadcast packet `id` sent to this socket. */
  expectAck(id: number, callback: (err: Error | null, ...args: unknown[]) => void): void;
  join(rooms: Room | Room[]): unknown;
  leave(room: Room): unknown;
  disconnect(close?: boolean): unknown;
}

/**
 * A run of an emit with an id (EVENT_ONCE) that ended after its socket dropped, for the node that
 * holds its recovery session now (connection-state recovery, docs/RECOVERY.md "Delivery
 * guarantees").
 */
export interface HandledLateNotice {
  /** The recovery session the run belongs to, and its socket id. */
  pid: string;
  sid: SocketId;
  /** The emit's id. */
  id: number;
  /** The handler's answer; absent when the run will not answer (it failed, or never reached its handler). */
  reply?: unknown[];
}

/** What an adapter needs of its namespace. */
export interface AdapterNamespace {
  readonly name: string;
  readonly sockets: ReadonlyMap<SocketId, AdapterSocket>;
  /** Runs this namespace's `serverSideEmit` listeners for an event another node sent. */
  onServerSideEmit(args: unknown[]): void;
  /** Takes a late outcome another node sent (`Adapter.handledLate`) to the socket that holds its session here, if any. */
  onHandledLate?(notice: HandledLateNotice): void;
  /** A fresh ack id, unique among the acks pending on this node's sockets. */
  nextAckId(): number;
  /**
   * Settles once a membership change's `rooms`, just joined here, are ready to receive what an
   * origin does next through the namespace's recovery store (the store read the join's stream
   * position); undefined when nothing needs waiting. A cluster adapter confirms the change after it.
   */
  roomsReady?(rooms: readonly Room[]): Promise<void> | undefined;
  /** True when recoverable emits travel through a recovery store that carries them to the other nodes itself. */
  readonly recoveryDistributes?: boolean;
  /**
   * Settles once the recovery store took every recoverable emit made so far, with the newest
   * one's position; undefined when none is pending. A cluster adapter publishes a membership
   * change after it, naming the position (`storedThrough`).
   */
  appendsTaken?(): Promise<string | undefined> | undefined;
  /**
   * Settles once this node's recovery store delivered every packet it owes up to `position`;
   * undefined when it already has. A cluster adapter applies a change naming it after that.
   */
  storeThrough?(position: string): Promise<unknown> | undefined;
}

/** A socket as described by `fetchSockets`; local results are the sockets themselves. */
export interface SocketDetails {
  id: SocketId;
  handshake: Handshake;
  rooms: Set<Room>;
  data: unknown;
}

/* The exclusion of a broadcast: the members of its `except` rooms, or the one socket id it names. */
type Excluded = ReadonlySet<SocketId> | SocketId;

const isExcluded = (excluded: Excluded | undefined, id: SocketId): boolean =>
  excluded !== undefined && (typeof excluded === "string" ? excluded === id : excluded.has(id));

/**
 * In-memory adapter: owns room membership and local delivery for one namespace. The room index
 * is two maps, room -> members and member -> rooms. Subclasses (the cluster adapter) extend the
 * reach of each operation to other nodes.
 *
 * A socket's own room (named by its id) is kept implicitly: it is in the socket's `sids` entry,
 * as in Socket.IO, but `rooms` holds no one-member set for it (that set and its entry cost ~200 B
 * per idle connection). A broadcast to a room that names a local socket still reaches that socket
 * while it is in its own room; other sockets may join that room too, and are listed in `rooms`.
 *
 * Emits `create-room`, `delete-room`, `join-room` and `leave-room` like Socket.IO's adapter, own
 * rooms included.
 */
export class Adapter extends EventEmitter {
  /** Members of each room, except the socket whose id names the room (see ownRoomMember). */
  readonly rooms = new Map<Room, Set<SocketId>>();
  readonly sids = new Map<SocketId, Set<Room>>();

  constructor(readonly nsp: AdapterNamespace) {
    super();
  }

  /** Called once the adapter is attached to its namespace. */
  init(): Promise<void> | void {}

  /** Releases whatever the adapter holds (subscriptions, timers). */
  close(): Promise<void> | void {}

  /** Number of nodes in the cluster, this one included. */
  serverCount(): Promise<number> {
    return Promise.resolve(1);
  }

  addAll(id: SocketId, rooms: Iterable<Room>): void {
    let joined = this.sids.get(id);
    if (!joined) {
      joined = new Set();
      this.sids.set(id, joined);
    }
    for (const room of rooms) {
      if (joined.has(room)) continue;
      if (room === id) {
        // the own room: membership is the sids entry alone
        const existed = this.rooms.has(room);
        joined.add(room);
        if (!existed) this.onRoomCreated(room);
        this.emit("join-room", room, id);
        continue;
      }
      joined.add(room);
      let members = this.rooms.get(room);
      if (!members) {
        members = new Set();
        this.rooms.set(room, members);
        if (this.ownRoomMember(room) === undefined) this.onRoomCreated(room);
      }
      members.add(id);
      this.emit("join-room", room, id);
    }
  }

  del(id: SocketId, room: Room): void {
    const joined = this.sids.get(id);
    if (room === id) {
      if (joined?.delete(room)) this.leftOwnRoom(id);
      return;
    }
    joined?.delete(room);
    this.removeMember(room, id);
  }

  delAll(id: SocketId): void {
    const joined = this.sids.get(id);
    if (!joined) return;
    this.sids.delete(id);
    for (const room of joined) {
      if (room === id) this.leftOwnRoom(id);
      else this.removeMember(room, id);
    }
  }

  private removeMember(room: Room, id: SocketId): void {
    const members = this.rooms.get(room);
    if (!members || !members.delete(id)) return;
    this.emit("leave-room", room, id);
    if (members.size === 0) {
      this.rooms.delete(room);
      if (this.ownRoomMember(room) === undefined) this.onRoomDeleted(room);
    }
  }

  /** Socket `id` is out of its own room (already removed from its sids entry, or the entry is gone). */
  private leftOwnRoom(id: SocketId): void {
    this.emit("leave-room", id, id);
    if (!this.rooms.has(id)) this.onRoomDeleted(id);
  }

  /** The id of the socket whose own room `room` is, while it is in it; undefined otherwise. */
  protected ownRoomMember(room: Room): SocketId | undefined {
    return this.sids.get(room)?.has(room) === true ? room : undefined;
  }

  /** Hook for subclasses that follow room lifecycles (a cluster adapter subscribing per room). */
  protected onRoomCreated(room: Room): void {
    this.emit("create-room", room);
  }

  protected onRoomDeleted(room: Room): void {
    this.emit("delete-room", room);
  }

  /** Rooms `id` is in, or undefined for an unknown socket. */
  socketRooms(id: SocketId): Set<Room> | undefined {
    return this.sids.get(id);
  }

  /** Local socket ids in any of `rooms` (all sockets when empty). */
  sockets(rooms: Set<Room>): Promise<Set<SocketId>> {
    const ids = new Set<SocketId>();
    this.apply({ rooms }, (socket) => ids.add(socket.id));
    return Promise.resolve(ids);
  }

  /** Delivers `packet` to every matching local socket. The packet is encoded at most once per codec. */
  broadcast(packet: OutgoingPacket, opts: BroadcastOptions): void {
    const flags = opts.flags;
    this.apply(opts, (socket) => socket.deliver(packet, flags));
  }

  /**
   * Like `broadcast`, with an ack expected from every recipient. `clientCountCallback` is called
   * once per node with the number of sockets that node sent to; `ack` once per reply.
   */
  broadcastWithAck(
    packet: OutgoingPacket,
    opts: BroadcastOptions,
    clientCountCallback: (clientCount: number) => void,
    ack: (...args: unknown[]) => void,
  ): void {
    const flags = opts.flags;
    const id = (packet.packet as { id?: number }).id;
    if (id === undefined) throw new TypeError("broadcastWithAck needs a packet with an ack id");
    let count = 0;
    this.apply(opts, (socket) => {
      count++;
      socket.expectAck(id, (err, ...args) => {
        if (!err) ack(...args);
      });
      socket.deliver(packet, flags);
    });
    clientCountCallback(count);
  }

  fetchSockets(opts: BroadcastOptions): Promise<SocketDetails[]> {
    const found: SocketDetails[] = [];
    this.apply(opts, (socket) => found.push(socket as unknown as SocketDetails));
    return Promise.resolve(found);
  }

  addSockets(opts: BroadcastOptions, rooms: Room[]): void {
    this.apply(opts, (socket) => socket.join(rooms));
  }

  delSockets(opts: BroadcastOptions, rooms: Room[]): void {
    this.apply(opts, (socket) => {
      for (const room of rooms) socket.leave(room);
    });
  }

  disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    this.apply(opts, (socket) => socket.disconnect(close));
  }

  /**
   * Sends an event to the other nodes' namespaces. A single node has none, so listeners never run
   * and a trailing ack callback resolves at once with no replies.
   */
  serverSideEmit(args: unknown[]): void {
    const last = args[args.length - 1];
    if (typeof last === "function") queueMicrotask(() => (last as (err: Error | null, replies: unknown[]) => void)(null, []));
  }

  /**
   * Tells the other nodes that a run of an emit with an id ended after its socket dropped: the
   * client may have resumed its session on one of them. A single node has none.
   */
  handledLate(_notice: HandledLateNotice): void {}

  /**
   * Runs `fn` in order with this node's cluster operations: at once here (a single node holds
   * nothing); a cluster adapter runs it after the membership changes it is holding operations
   * behind (a recovery store's appends then keep the order of the adapter's broadcasts).
   */
  afterPendingChanges(fn: () => void): void {
    fn();
  }

  /**
   * Calls `fn` once for each local socket that matches `opts`: in any of `opts.rooms` (every socket
   * when empty) and in none of `opts.except`. A socket in several targeted rooms is visited once.
   */
  apply(opts: BroadcastOptions, fn: (socket: AdapterSocket) => void): void {
    const { rooms, except } = opts;
    const sockets = this.nsp.sockets;
    const excluded = except && except.size > 0 ? this.excludedBy(except) : undefined;
    if (rooms.size === 0) {
      for (const [id, socket] of sockets) {
        if (isExcluded(excluded, id)) continue;
        fn(socket);
      }
      return;
    }
    if (rooms.size === 1) {
      // The common case needs no de-duplication set.
      for (const room of rooms) {
        const members = this.rooms.get(room);
        if (members !== undefined) {
          for (const id of members) {
            if (excluded !== undefined && isExcluded(excluded, id)) continue;
            const socket = sockets.get(id);
            if (socket) fn(socket);
          }
        }
        const own = this.ownRoomMember(room);
        if (own !== undefined && !isExcluded(excluded, own)) {
          const socket = sockets.get(own);
          if (socket) fn(socket);
        }
      }
      return;
    }
    const seen = new Set<SocketId>();
    const visit = (id: SocketId): void => {
      if (seen.has(id) || isExcluded(excluded, id)) return;
      seen.add(id);
      const socket = sockets.get(id);
      if (socket) fn(socket);
    };
    for (const room of rooms) {
      const members = this.rooms.get(room);
      if (members !== undefined) for (const id of members) visit(id);
      const own = this.ownRoomMember(room);
      if (own !== undefined) visit(own);
    }
  }

  /**
   * Every socket id in any of `rooms`: the room's set itself when a single room has no own-room
   * member, the id alone for a socket's own room (`socket.broadcast`: no set at all), else a union.
   */
  private excludedBy(rooms: Set<Room>): Excluded {
    if (rooms.size === 1) {
      for (const room of rooms) {
        const members = this.rooms.get(room);
        const own = this.ownRoomMember(room);
        if (own === undefined) return members ?? NO_IDS;
        if (members === undefined) return own;
      }
    }
    const ids = new Set<SocketId>();
    for (const room of rooms) {
      const members = this.rooms.get(room);
      if (members) for (const id of members) ids.add(id);
      const own = this.ownRoomMember(room);
      if (own !== undefined) ids.add(own);
    }
    return ids;
  }
}

const NO_IDS: ReadonlySet<SocketId> = new Set();

/** A factory the server calls once per namespace, as in `io.adapter(createAdapter(...))`. */
export type AdapterConstructor = new (nsp: AdapterNamespace) => Adapter;
