import type { OutgoingPacket } from "../dialect/outgoing-packet.js";
import type { BroadcastOptions, Room, SocketId } from "../types.js";

/** What a store keeps of a socket that dropped, to give it back when its client resumes. */
export interface RecoverySession {
  /** Recovery session id, as handed to the client in CONNECTED. */
  pid: string;
  /** The socket id, kept across the reconnect. */
  sid: SocketId;
  /** Rooms the socket was in, its own id room excluded. */
  rooms: Room[];
  /** `socket.data`; a store that leaves the process must be able to serialise it. */
  data: unknown;
}

/** What a namespace gives the store it owns. */
export interface RecoveryStoreContext {
  /** Namespace name. */
  readonly nsp: string;
  /** Packets older than this (ms) may be forgotten; sessions live this long. */
  readonly maxDisconnectionDuration: number;
  /** Packets a store keeps per namespace at most (approximately, for Redis). */
  readonly maxPackets: number;
  /**
   * Hands a stamped EVENT_AT packet to the sockets `opts` targets. A store that does not
   * distribute (`distributes === false`) calls it once per append on the node that appended, and
   * it goes through the adapter like any broadcast; a distributing store calls it on every node,
   * in stream order, and it reaches that node's sockets only.
   */
  deliver(packet: OutgoingPacket, opts: BroadcastOptions): void;
  /** Where a store reports failures it cannot throw. */
  warn(message: string, error?: unknown): void;
}

/**
 * Keeps a namespace's recent packets and dropped sessions for connection-state recovery. Methods
 * may answer synchronously (the in-memory store: a resume then completes in one synchronous
 * section) or with a promise (a store over the network).
 */
export interface RecoveryStore {
  /**
   * True when the store carries stamped packets to every node itself (in stream order), so the
   * namespace must not also send them through the adapter.
   */
  readonly distributes: boolean;
  /** Stamps `data` (`[event, ...args]`) with the next position and has it delivered (see context.deliver). */
  append(data: unknown[], opts: BroadcastOptions): void;
  /** The position of the newest packet (a new session resumes after it). */
  head(): string | Promise<string>;
  /** Keeps `session` for `ttl` ms under `session.pid`. */
  persistSession(session: RecoverySession, ttl: number): void | Promise<void>;
  /** Removes and returns the session of `pid`; undefined when unknown or expired. */
  takeSession(pid: string): RecoverySession | undefined | Promise<RecoverySession | undefined>;
  /**
   * The EVENT_AT packets after `position` that targeted any of `rooms` (minus their `except`), in
   * order; undefined when that gap cannot be replayed in full (another epoch, trimmed, unknown).
   */
  replay(position: string, rooms: ReadonlySet<Room>): OutgoingPacket[] | undefined | Promise<OutgoingPacket[] | undefined>;
  /** Releases timers and subscriptions; pending writes are finished first. */
  close(): void | Promise<void>;
}

/** Creates the store of one namespace. @example { store: (ctx) => new InMemoryRecoveryStore(ctx) } */
export type RecoveryStoreFactory = (context: RecoveryStoreContext) => RecoveryStore;

/** Server option `connectionStateRecovery`. Unset: no recovery, no positions, no cost. */
export interface ConnectionStateRecoveryOptions {
  /** How long (ms) a dropped socket's session and the packets it misses are kept. Default 120000. */
  maxDisconnectionDuration?: number;
  /** A recovered socket skips the connection middleware (it passed it before). Default true. */
  skipMiddlewares?: boolean;
  /** Packets kept per namespace for replay. Default 10000. */
  maxPackets?: number;
  /** Store of each namespace. Default: in memory (single node). */
  store?: RecoveryStoreFactory;
}

/**
 * Whether a packet sent to `rooms` (every socket when empty) minus `except` reached a socket that
 * was in `member` rooms (its own id room included).
 */
export function isTargeted(rooms: Iterable<Room> & { readonly size?: number; readonly length?: number }, except: Iterable<Room> | undefined, member: ReadonlySet<Room>): boolean {
  if (except !== undefined) for (const room of except) if (member.has(room)) return false;
  if ((rooms.size ?? rooms.length) === 0) return true;
  for (const room of rooms) if (member.has(room)) return true;
  return false;
}
