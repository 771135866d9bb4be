import type { HandledEmitRecord } from "../acks/handled-emits.js";
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
  /**
   * The emits with an id the socket ran and their replies (server option `handledEmits`), so a
   * resend after the resume is answered instead of run again. Absent when it ran none. A store
   * may keep it apart from the rest (see `updateHandled`); it lives and goes with the session.
   */
  handled?: HandledEmitRecord[];
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
   * it goes through the adapter like any broadcast; a distributing store calls it, in stream
   * order, on the nodes it carries the packet to (every node, or those with members in its rooms:
   * see `roomJoined`), and it reaches that node's sockets only.
   */
  deliver(packet: OutgoingPacket, opts: BroadcastOptions): void;
  /** Where a store reports failures it cannot throw. */
  warn(message: string, error?: unknown): void;
  /**
   * Packets that targeted `opts` are lost to this node's sockets (a gap in the history a
   * distributing store could not fill): each targeted local socket is closed with 4005 (RESYNC)
   * and its session removed, so its client comes back with `recovered === false`. Always set by
   * a namespace.
   */
  resync?(opts: BroadcastOptions): void;
}

/**
 * Keeps a namespace's recent packets and dropped sessions for connection-state recovery. Methods
 * may answer synchronously (the in-memory store: a resume then completes in one synchronous
 * section) or with a promise (a store over the network).
 */
export interface RecoveryStore {
  /**
   * True when the store carries stamped packets to the other nodes itself (in stream order), so
   * the namespace must not also send them through the adapter.
   */
  readonly distributes: boolean;
  /**
   * Present when the store keeps the session of every live socket, not only of dropped ones
   * (crash-safe recovery, docs/RECOVERY.md "Crashes"); `persistSession` then ends a live session
   * by storing it as dropped.
   */
  readonly live?: LiveSessionStore;
  /** Stamps `data` (`[event, ...args]`) with the next position and has it delivered (see context.deliver). */
  append(data: unknown[], opts: BroadcastOptions): void;
  /** The position of the newest packet (a new session resumes after it). */
  head(): string | Promise<string>;
  /** Keeps `session` for `ttl` ms under `session.pid`. */
  persistSession(session: RecoverySession, ttl: number): void | Promise<void>;
  /** Removes and returns the session of `pid`; undefined when unknown or expired. */
  takeSession(pid: string): RecoverySession | undefined | Promise<RecoverySession | undefined>;
  /**
   * Replaces the `handled` window of the kept session `pid`, keeping its expiry; does nothing when
   * the session is no longer kept (resumed, expired). Called when a handler answers after its
   * socket dropped. A store without it loses such answers: the resend then waits until the client
   * gives up (the handler still ran once).
   */
  updateHandled?(pid: string, handled: HandledEmitRecord[]): void | Promise<void>;
  /**
   * The EVENT_AT packets after `position` that targeted any of `rooms` (minus their `except`), in
   * order; undefined when that gap cannot be replayed in full (another epoch, trimmed, unknown).
   */
  replay(position: string, rooms: ReadonlySet<Room>): OutgoingPacket[] | undefined | Promise<OutgoingPacket[] | undefined>;
  /**
   * A distributing store that carries a room's packets only to the nodes with members there is
   * told when this node's namespace gets its first local member in `room` (socket id rooms
   * included: the store decides which rooms it follows) and when the last one leaves
   * (`roomLeft`). Called synchronously from the membership change, before anything the change
   * leads to (a resume's replay, the write of a live session).
   */
  roomJoined?(room: Room): void;
  roomLeft?(room: Room): void;
  /**
   * Settles once this node's packets of `rooms` (joined a moment ago, see `roomJoined`) are
   * followed from a position the store read after the join: an append made from then on reaches
   * their members. Undefined when nothing is pending. The cluster confirms a join after it.
   */
  roomsReady?(rooms: readonly Room[]): Promise<void> | undefined;
  /**
   * A distributing store: settles once every `append` made so far was taken (stamped and sent
   * on), with the newest position; undefined when none is pending.
   */
  appendsTaken?(): Promise<string | undefined> | undefined;
  /**
   * A distributing store: settles once this node delivered every packet it owes up to
   * `position` (true), or gave up (false, after a few seconds); undefined when it already has.
   */
  deliveredThrough?(position: string): Promise<boolean> | undefined;
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

/** A socket admitted on this node, as a store that keeps live sessions sees it. */
export interface LiveSession {
  /** Its recovery session id. */
  readonly pid: string;
  /** The session as it is now (rooms, `socket.data`, the rest of the record); read at each write. */
  read(): RecoverySession;
  /** Another node resumed this session: the store has forgotten it, and the stale socket here is closed. */
  takenOver(): void;
}

/**
 * The optional part of a recovery store that keeps the session of every live socket, not only of
 * the sockets that dropped, so that a node that crashes (SIGKILL, out of memory) does not cost its
 * clients their sessions. Nothing here waits for the store: writes are batched and retried by the
 * store, and `changed` reports when a change is stored.
 */
export interface LiveSessionStore {
  /**
   * Starts keeping the session of a socket that was just admitted on this node: written at the
   * next flush for a fresh session; `resumed` is the session `takeSession` returned, already
   * stored with this node as its owner.
   */
  track(session: LiveSession, resumed: RecoverySession | undefined): void;
  /**
   * The session of `pid` changed (a room joined or left, or anything else in its record): it is
   * written at the next flush. `written` runs exactly once: when a write that includes the change
   * is done, or when the session is no longer kept (closed, taken over, store closed).
   */
  changed(pid: string, written: () => void): void;
  /**
   * Forgets a session for good and removes its record: the socket left on purpose, its session
   * had to be dropped, or a session taken for a resume could not be resumed.
   */
  discard(pid: string): void | Promise<void>;
}
