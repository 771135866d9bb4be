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

/** What an adapter needs of its namespace. */
export interface AdapterNamespace {
  readonly name: string;
  readonly sockets: ReadonlyMap<SocketId, AdapterSocket>;
  /** Runs this namespace's `serverSideEmit` listeners for an event another node sent. */
  onServerSideEmit(args: unknown[]): void;
  /** A fresh ack id, unique among the acks pending on this node's sockets. */
  nextAckId(): number;
}

/** A socket as described by `fetchSockets`; local results are the sockets themselves. */
export interface SocketDetails {
  id: SocketId;
  handshake: Handshake;
  rooms: Set<Room>;
  data: unknown;
}

/**
 * In-memory adapter: owns room membership and local delivery for one namespace. The room index
 * is two maps, room -> members and member -> rooms. Subclasses (the cluster adapter) extend the
 * reach of each operation to other nodes.
 *
 * Emits `create-room`, `delete-room`, `join-room` and `leave-room` like Socket.IO's adapter.
 */
export class Adapter extends EventEmitter {
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
      joined.add(room);
      let members = this.rooms.get(room);
      if (!members) {
        members = new Set();
        this.rooms.set(room, members);
        this.onRoomCreated(room);
      }
      members.add(id);
      this.emit("join-room", room, id);
    }
  }

  del(id: SocketId, room: Room): void {
    this.sids.get(id)?.delete(room);
    this.removeMember(room, id);
  }

  delAll(id: SocketId): void {
    const joined = this.sids.get(id);
    if (!joined) return;
    for (const room of joined) this.removeMember(room, id);
    this.sids.delete(id);
  }

  private removeMember(room: Room, id: SocketId): void {
    const members = this.rooms.get(room);
    if (!members || !members.delete(id)) return;
    this.emit("leave-room", room, id);
    if (members.size === 0) {
      this.rooms.delete(room);
      this.onRoomDeleted(room);
    }
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
   * Calls `fn` once for each local socket that matches `opts`: in any of `opts.rooms` (every socket
   * when empty) and in none of `opts.except`. A socket in several targeted rooms is visited once.
   */
  apply(opts: BroadcastOptions, fn: (socket: AdapterSocket) => void): void {
    const { rooms, except } = opts;
    const sockets = this.nsp.sockets;
    const excluded = except && except.size > 0 ? this.membersOf(except) : undefined;
    if (rooms.size === 0) {
      for (const [id, socket] of sockets) {
        if (excluded !== undefined && excluded.has(id)) continue;
        fn(socket);
      }
      return;
    }
    if (rooms.size === 1) {
      // The common case needs no de-duplication set.
      for (const room of rooms) {
        const members = this.rooms.get(room);
        if (!members) return;
        for (const id of members) {
          if (excluded !== undefined && excluded.has(id)) continue;
          const socket = sockets.get(id);
          if (socket) fn(socket);
        }
      }
      return;
    }
    const seen = new Set<SocketId>();
    for (const room of rooms) {
      const members = this.rooms.get(room);
      if (!members) continue;
      for (const id of members) {
        if (seen.has(id) || (excluded !== undefined && excluded.has(id))) continue;
        seen.add(id);
        const socket = sockets.get(id);
        if (socket) fn(socket);
      }
    }
  }

  /** Every socket id in any of `rooms`; one set when a single room is named (no copy). */
  private membersOf(rooms: Set<Room>): Set<SocketId> {
    if (rooms.size === 1) {
      for (const room of rooms) return this.rooms.get(room) ?? new Set();
    }
    const ids = new Set<SocketId>();
    for (const room of rooms) {
      const members = this.rooms.get(room);
      if (members) for (const id of members) ids.add(id);
    }
    return ids;
  }
}

/** A factory the server calls once per namespace, as in `io.adapter(createAdapter(...))`. */
export type AdapterConstructor = new (nsp: AdapterNamespace) => Adapter;
