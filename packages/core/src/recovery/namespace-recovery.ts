import { randomBytes } from "node:crypto";
import type { EventAtPacket, ResumeRequest } from "@roomcast/protocol";
import { HandledEmits, type HandledEmitsOptions } from "../acks/handled-emits.js";
import type { Adapter, HandledLateNotice } from "../broadcast/adapter.js";
import type { Connection } from "../connection/connection.js";
import type { OutgoingPacket } from "../dialect/outgoing-packet.js";
import type { Logger } from "../server/server-options.js";
import { Socket } from "../socket/socket.js";
import { traceServer } from "../trace.js";
import type { RecoverableSocket } from "../socket/socket-namespace.js";
import type { BroadcastFlags, BroadcastOptions, Room, SocketId } from "../types.js";
import { DEFAULT_MAX_DISCONNECTION_DURATION } from "./defaults.js";
import { InMemoryRecoveryStore } from "./in-memory-store.js";
import { LiveSessionLink } from "./live-sessions.js";
import { comparePositions } from "./position.js";
import type { ConnectionStateRecoveryOptions, RecoverySession, RecoveryStore } from "./recovery-store.js";

/** What recovery needs of its namespace. */
export interface RecoveryHost {
  readonly name: string;
  readonly adapter: Adapter;
  readonly sockets: Map<SocketId, Socket<any, any, any, any>>;
  readonly options: { readonly logger: Logger; readonly maxBufferedBytes: number; readonly handledEmits: HandledEmitsOptions };
  /** Runs the connection middleware (none when `skip`), then `admitted`; refuses on error. */
  _admit(socket: Socket<any, any, any, any>, skip: boolean, admitted: () => void, gone: () => void): void;
  /** Registers the socket, sends CONNECTED with `info`, then `after`, then announces "connection". */
  _complete(socket: Socket<any, any, any, any>, info: Record<string, unknown>, after: OutgoingPacket[]): void;
  /** The CONNECT ended without a socket after `_admit` let it in (its connection went away meanwhile). */
  _admissionEnded(): void;
}

/** What a namespace's recovery has done, for operators. */
export interface RecoveryStats {
  /** Sessions kept for a dropped socket. */
  persisted: number;
  /** Resumes that restored a session. */
  recovered: number;
  /** Resumes that could not (session unknown or expired, epoch changed, stream trimmed): fresh sessions. */
  failed: number;
  /** Store operations that failed (logged). */
  storeErrors: number;
  /** Sockets closed with 4005 (RESYNC) because packets they were sent were lost (live-session stores). */
  resynced: number;
  /**
   * Stale sockets closed because their session was resumed elsewhere while they were still
   * connected (a half-open connection): by another node (live-session stores), or on this node.
   */
  takenOver: number;
}

/* Sockets that disconnect on purpose have nothing to come back to. */
const DELIBERATE = new Set(["client namespace disconnect", "server namespace disconnect"]);

/*
 * Where a session's window went when its resume failed and a fresh session took it over: the
 * fresh session's pid and socket id, and the window itself. Kept while runs from before may still
 * answer (at most `handledEmits.maxRunTime`), at most this many per namespace, oldest dropped first.
 */
interface WindowMove {
  readonly pid: string;
  readonly sid: SocketId;
  readonly window: HandledEmits;
  readonly until: number;
}
const MAX_WINDOW_MOVES = 10_000;
/* how many sessions a late outcome follows (a fresh session that took over ids may fail a resume too) */
const MAX_HOPS = 8;

/** Calls `ok` at once for a plain value, on settlement for a promise; `fail` on a throw or rejection. */
function settle<T>(run: () => T | Promise<T>, ok: (value: T) => void, fail: (err: unknown) => void): void {
  let value: T | Promise<T>;
  try {
    value = run();
  } catch (err) {
    fail(err);
    return;
  }
  if (value instanceof Promise) value.then(ok, fail);
  else ok(value);
}

/**
 * Connection-state recovery of one namespace: stamps recoverable packets through the store,
 * keeps the session of a socket that drops, and brings it back (same id, rooms and data, missed
 * packets replayed) when its client resumes.
 */
export class NamespaceRecovery {
  readonly store: RecoveryStore;
  readonly maxDisconnectionDuration: number;
  readonly skipMiddlewares: boolean;
  readonly stats: RecoveryStats = { persisted: 0, recovered: 0, failed: 0, storeErrors: 0, resynced: 0, takenOver: 0 };
  /* present when the store keeps live sessions (crash-safe recovery) */
  private readonly live: LiveSessionLink | undefined;
  /* sockets admitted with a resumed session, until they are registered in the namespace: a run
     that answers meanwhile (its old socket gone) must still find the session's new window */
  private readonly resuming = new Map<string, Socket<any, any, any, any>>();
  /* sessions whose resume failed, by pid, to where their window went (see WindowMove) */
  private readonly moves = new Map<string, WindowMove>();
  /*
   * The connected sockets by pid, with a store that keeps no live sessions: a resume that names
   * one of them comes from a client whose old connection is half-open, and takes the session over
   * (a live-session store does that itself, on any node).
   */
  private readonly connectedSessions = new Map<string, Socket<any, any, any, any>>();
  /* the adapter whose room events reach a store that follows rooms (replaced with the namespace's) */
  private watched: Adapter | undefined;
  private readonly onRoomCreated = (room: Room): void => this.store.roomJoined?.(room);
  private readonly onRoomDeleted = (room: Room): void => this.store.roomLeft?.(room);

  constructor(
    private readonly nsp: RecoveryHost,
    options: ConnectionStateRecoveryOptions,
  ) {
    this.maxDisconnectionDuration = options.maxDisconnectionDuration ?? DEFAULT_MAX_DISCONNECTION_DURATION;
    /* the socket passed the middleware when it first connected */
    this.skipMiddlewares = options.skipMiddlewares ?? true;
    const context = {
      nsp: nsp.name,
      maxDisconnectionDuration: this.maxDisconnectionDuration,
      /* about 2 MB per namespace for 64-byte events (docs/RECOVERY.md): minutes of a busy room */
      maxPackets: options.maxPackets ?? 10_000,
      deliver: (packet: OutgoingPacket, opts: BroadcastOptions) => this.deliver(packet, opts),
      warn: (message: string, error?: unknown) => this.warn(message, error),
      resync: (opts: BroadcastOptions) => this.live?.resync(opts),
    };
    this.store = options.store ? options.store(context) : new InMemoryRecoveryStore(context);
    const live = this.store.live;
    this.live =
      live === undefined
        ? undefined
        : new LiveSessionLink(live, {
            sessionOf: (socket, pid) => this.sessionOf(socket, pid),
            apply: (opts, fn) => nsp.adapter.apply(opts, fn as never),
            warn: (message, error) => this.warn(message, error),
            stats: this.stats,
          });
    this.watchRooms();
  }

  /**
   * Tells a store that follows rooms (`roomJoined`) when this node's adapter gets its first
   * member in a room and loses its last. Called again when the namespace replaces its adapter.
   */
  watchRooms(): void {
    const store = this.store;
    if (store.roomJoined === undefined && store.roomLeft === undefined) return;
    const adapter = this.nsp.adapter;
    const previous = this.watched;
    if (adapter === previous) return;
    this.unwatchRooms();
    adapter.on("create-room", this.onRoomCreated);
    adapter.on("delete-room", this.onRoomDeleted);
    this.watched = adapter;
    if (previous !== undefined) for (const room of previous.rooms.keys()) if (!adapter.rooms.has(room)) store.roomLeft?.(room);
    for (const room of adapter.rooms.keys()) store.roomJoined?.(room);
  }

  private unwatchRooms(): void {
    this.watched?.off("create-room", this.onRoomCreated);
    this.watched?.off("delete-room", this.onRoomDeleted);
    this.watched = undefined;
  }

  /** A broadcast that may be replayed: stamped once by the store, then delivered. */
  emit(data: unknown[], opts: BroadcastOptions): void {
    // behind the membership changes the adapter holds this node's broadcasts for (cluster order)
    if (this.store.distributes) this.nsp.adapter.afterPendingChanges(() => this.store.append(data, opts));
    else this.store.append(data, opts);
  }

  /** A direct `socket.emit` without ack: a packet to the socket's own id room, so it can be replayed. */
  emitTo(id: SocketId, data: unknown[], flags: BroadcastFlags): void {
    // it only concerns a local socket: no need to tell the other nodes, unless the store carries it
    if (this.store.distributes) this.nsp.adapter.afterPendingChanges(() => this.store.append(data, { rooms: new Set([id]), flags }));
    else this.store.append(data, { rooms: new Set([id]), flags: { ...flags, local: true } });
  }

  /** See `AdapterNamespace.roomsReady`: a store that follows rooms tells when their joins' positions are read. */
  roomsReady(rooms: readonly Room[]): Promise<void> | undefined {
    return this.store.roomsReady?.(rooms);
  }

  private deliver(packet: OutgoingPacket, opts: BroadcastOptions): void {
    if (this.store.distributes && !opts.flags?.local) opts = { rooms: opts.rooms, except: opts.except, flags: { ...opts.flags, local: true } };
    this.nsp.adapter.broadcast(packet, opts);
  }

  /** A socket is leaving: keep its session unless it left on purpose. Call before it leaves its rooms. */
  persist(socket: RecoverableSocket, reason: string): void {
    const pid = socket._pid;
    if (pid === undefined) return;
    if (this.connectedSessions.get(pid) === socket) this.connectedSessions.delete(pid);
    if (DELIBERATE.has(reason)) {
      // a store that keeps live sessions has this one: remove it
      this.live?.discard(pid);
      return;
    }
    this.keep(this.sessionOf(socket, pid));
  }

  /** The session record of `socket` as it is now: what `persist` keeps, and what live sessions write. */
  sessionOf(socket: RecoverableSocket, pid: string): RecoverySession {
    const rooms: Room[] = [];
    for (const room of this.nsp.adapter.socketRooms(socket.id) ?? []) if (room !== socket.id) rooms.push(room);
    const session: RecoverySession = { pid, sid: socket.id, rooms, data: socket.data };
    if (socket._handled !== undefined) session.handled = socket._handled.record(Date.now());
    return session;
  }

  /**
   * The session of `socket` changed: its rooms (called by `join` and `leave`), or `socket.data`
   * that should be stored now rather than at the next periodic write. With a store that keeps
   * live sessions, the change is written at the next flush and the socket's connection sends
   * nothing until it is (docs/RECOVERY.md, "Crashes"); otherwise it does nothing.
   *
   * @example socket.data.cart = cart; io.of("/").recovery?.changed(socket);
   */
  changed(socket: Socket<any, any, any, any>): void {
    this.live?.changed(socket);
  }

  /**
   * A run of an emit with an id ended after its socket had dropped: it answered with `reply`, or
   * will not answer (`reply` undefined: it failed, or never reached its handler). `window` is the
   * dropped socket's, the outcome already in it. The session `pid` (socket `sid`) is now with a
   * socket of this node that resumed it, with a fresh session that took its ids over when its
   * resume failed, kept in the store if the client is still away, or on another node: the
   * outcome goes to the socket that holds the session's window now, else into the kept session
   * and to the other nodes.
   */
  handledLate(pid: string, sid: SocketId, window: HandledEmits, id: number, reply: unknown[] | undefined): void {
    this.route(pid, sid, id, reply, window, true);
  }

  /** The same outcome, from the node where the run was (`Adapter.handledLate`): delivered if this node holds the session. */
  handledElsewhere(notice: HandledLateNotice): void {
    this.route(notice.pid, notice.sid, notice.id, notice.reply, undefined, false);
  }

  /**
   * Follows session `pid` through the fresh sessions that took its window over, to the socket
   * that holds it. Without one, `window` (the session's as last held here, when known) is brought
   * up to date and stored, and the other nodes are told.
   */
  private route(pid: string, sid: SocketId, id: number, reply: unknown[] | undefined, window: HandledEmits | undefined, settled: boolean): void {
    for (let hop = 0; hop < MAX_HOPS; hop++) {
      const holder = this.holderOf(pid, sid);
      if (holder !== undefined) {
        holder._settleHandled(id, reply);
        return;
      }
      const move = this.moveOf(pid);
      if (move === undefined) break;
      ({ pid, sid, window } = move);
      settled = false;
    }
    // a notice about a session this node never held
    if (window === undefined) return;
    if (!settled) {
      if (reply === undefined) window.forget(id);
      else window.settle(id, reply);
    }
    const store = this.store;
    if (store.updateHandled !== undefined) {
      const handled = window.record(Date.now());
      settle(
        () => store.updateHandled!(pid, handled),
        () => {},
        (err) => this.warn(`could not keep a late reply for the session of ${sid}`, err),
      );
    }
    // resumed on another node, or taken over there by a fresh session: the node holding it answers
    if (store.distributes) this.nsp.adapter.handledLate(reply === undefined ? { pid, sid, id } : { pid, sid, id, reply });
  }

  /** The socket of this node that holds session `pid` now: resuming it, or connected with it. */
  private holderOf(pid: string, sid: SocketId): Socket<any, any, any, any> | undefined {
    const resuming = this.resuming.get(pid);
    if (resuming !== undefined) return resuming;
    const socket = this.nsp.sockets.get(sid);
    return socket !== undefined && socket._pid === pid ? socket : undefined;
  }

  /** Where the window of session `pid` went when its resume failed here, while runs from before may still answer. */
  private moveOf(pid: string): WindowMove | undefined {
    const move = this.moves.get(pid);
    if (move === undefined) return undefined;
    if (move.until > Date.now() && move.window.pending > 0) return move;
    this.moves.delete(pid);
    return undefined;
  }

  /** A fresh session (`socket`) took over the window of session `from`, whose resume failed. */
  private moved(from: string, socket: Socket<any, any, any, any>, window: HandledEmits): void {
    const now = Date.now();
    // insertion order is expiry order: the front goes first
    for (const [pid, move] of this.moves) {
      if (move.until > now && this.moves.size < MAX_WINDOW_MOVES) break;
      this.moves.delete(pid);
    }
    this.moves.delete(from);
    this.moves.set(from, { pid: socket._pid!, sid: socket.id, window, until: now + this.nsp.options.handledEmits.maxRunTime });
  }

  private keep(session: RecoverySession): void {
    this.stats.persisted++;
    settle(
      () => this.store.persistSession(session, this.maxDisconnectionDuration),
      () => {},
      (err) => this.warn(`could not keep the session of ${session.sid}`, err),
    );
  }

  /** A CONNECT on this namespace: resume the session it names if possible, else start a fresh one. */
  connect(conn: Connection, auth: Record<string, unknown>, resume: ResumeRequest | undefined): void {
    if (resume === undefined) {
      this.admit(conn, auth, undefined, "");
      return;
    }
    const stale = this.connectedSessions.get(resume.pid);
    if (stale !== undefined && stale.connected && stale.conn !== conn) {
      this.takeOver(stale, resume.pid, conn, auth, resume.position);
      return;
    }
    settle(
      () => this.store.takeSession(resume.pid),
      (session) => {
        if (session === undefined) this.stats.failed++;
        this.admit(conn, auth, session, resume.position);
      },
      (err) => {
        this.warn("could not read a session", err);
        this.stats.failed++;
        this.admit(conn, auth, undefined, "");
      },
    );
  }

  /**
   * The client of `stale` is back on another connection before this node noticed the old one
   * was gone (half-open: a phone that switched networks). Its session is taken from the stale
   * socket as it is now, that socket is closed (reason "server namespace disconnect", nothing of
   * it kept: the session goes on in the new socket), and the resume goes on from the client's
   * position: what was sent into the dead connection is replayed.
   */
  private takeOver(stale: Socket<any, any, any, any>, pid: string, conn: Connection, auth: Record<string, unknown>, position: string): void {
    // the rooms are read before the stale socket leaves them
    const session = this.sessionOf(stale, pid);
    this.stats.takenOver++;
    if (traceServer.enabled) traceServer("socket %s in %s taken over by a resume on another connection", stale.id, this.nsp.name);
    stale.disconnect();
    this.admit(conn, auth, session, position);
  }

  /**
   * `handled`: the window of session `movedFrom`, whose resume failed, kept by the fresh one (the
   * same client resends the same ids).
   */
  private admit(conn: Connection, auth: Record<string, unknown>, session: RecoverySession | undefined, position: string, handled?: HandledEmits, movedFrom?: string): void {
    const nsp = this.nsp;
    const socket = new Socket(nsp as never, conn, auth, session?.sid);
    if (session !== undefined) {
      socket.data = session.data;
      socket._pid = session.pid;
      // middleware that runs (skipMiddlewares: false) can already see it
      socket.recovered = true;
      if (session.handled !== undefined) socket._handled = HandledEmits.from(session.handled, nsp.options.handledEmits, Date.now());
      this.resuming.set(session.pid, socket);
    } else {
      socket._pid = randomBytes(12).toString("base64url");
      socket._handled = handled;
      // runs from before the failed resume answer to this socket
      if (handled !== undefined && movedFrom !== undefined && handled.pending > 0) this.moved(movedFrom, socket, handled);
    }
    nsp._admit(
      socket,
      session !== undefined && this.skipMiddlewares,
      () => {
        this.resumed(socket);
        this.enter(conn, auth, socket, session, position);
      },
      () => {
        if (session === undefined) return;
        this.resumed(socket);
        this.keep(withHandled(session, socket));
      },
    );
  }

  /** The resuming socket is registered in the namespace now, or will never be. */
  private resumed(socket: Socket<any, any, any, any>): void {
    if (socket._pid !== undefined && this.resuming.get(socket._pid) === socket) this.resuming.delete(socket._pid);
  }

  /**
   * Joins the socket's rooms first, holding whatever is delivered to it, then reads the replay
   * (or the head): a packet stamped meanwhile is either in the replay or held, never in neither.
   * Held packets the replay already contains are dropped by position.
   */
  private enter(conn: Connection, auth: Record<string, unknown>, socket: Socket<any, any, any, any>, session: RecoverySession | undefined, position: string): void {
    const nsp = this.nsp;
    const id = socket.id;
    const rooms = session === undefined ? [id] : [id, ...session.rooms];
    const held: OutgoingPacket[] = (socket._held = []);
    nsp.sockets.set(id, socket);
    nsp.adapter.addAll(id, rooms);
    const gone = (): boolean => {
      if (conn.readyState === "open" && conn.socketOf(nsp.name) === undefined) return false;
      this.abandon(socket);
      conn.deletePending(nsp.name);
      if (session !== undefined) this.keep(withHandled(session, socket));
      nsp._admissionEnded();
      return true;
    };
    const fresh = (): void => {
      this.stats.failed++;
      this.abandon(socket);
      // the session was taken for this resume: a store that keeps live sessions still has it
      if (session !== undefined) this.live?.discard(session.pid);
      this.admit(conn, auth, undefined, "", socket._handled, session?.pid);
    };
    if (session === undefined) {
      settle(
        () => this.store.head(),
        (head) => {
          if (gone()) return;
          socket._held = undefined;
          this.live?.track(socket, undefined);
          this.register(socket);
          nsp._complete(socket, { pid: socket._pid, recovered: false, position: head }, after(held, head));
        },
        (err) => {
          this.warn("could not read the stream head", err);
          if (gone()) return;
          // no position: the client cannot resume this session, but it is connected
          socket._held = undefined;
          this.register(socket);
          nsp._complete(socket, { pid: socket._pid, recovered: false }, held);
        },
      );
      return;
    }
    settle(
      () => this.store.replay(position, new Set(rooms)),
      (replayed) => {
        if (gone()) return;
        if (replayed === undefined || socket._heldOverflow || this.tooBig(replayed, conn)) return fresh();
        this.stats.recovered++;
        const last = replayed.length > 0 ? (replayed[replayed.length - 1].packet as EventAtPacket).position : position;
        socket._held = undefined;
        this.live?.track(socket, session);
        this.register(socket);
        nsp._complete(socket, { pid: socket._pid, recovered: true, missed: replayed.length }, [...replayed, ...after(held, last)]);
      },
      (err) => {
        this.warn("could not replay a session", err);
        if (!gone()) fresh();
      },
    );
  }

  /**
   * A replay larger than half the connection's outbound limit would get it closed as a slow
   * consumer, then resumed, then closed again: better a fresh session at once.
   */
  private tooBig(replayed: OutgoingPacket[], conn: Connection): boolean {
    const limit = this.nsp.options.maxBufferedBytes / 2;
    let bytes = 0;
    for (const packet of replayed) {
      bytes += conn.encodedLength(packet);
      if (bytes > limit) return true;
    }
    return false;
  }

  /** The socket is about to be connected: a later resume of its session while it still is takes it over (stores without live sessions). */
  private register(socket: Socket<any, any, any, any>): void {
    if (this.live === undefined && socket._pid !== undefined) this.connectedSessions.set(socket._pid, socket);
  }

  /** Undoes `enter` for a socket that will not be admitted after all. */
  private abandon(socket: Socket<any, any, any, any>): void {
    socket._held = undefined;
    this.nsp.adapter.delAll(socket.id);
    if (this.nsp.sockets.get(socket.id) === socket) this.nsp.sockets.delete(socket.id);
  }

  close(): void | Promise<void> {
    this.resuming.clear();
    this.moves.clear();
    this.connectedSessions.clear();
    this.unwatchRooms();
    return this.store.close();
  }

  private warn(message: string, error?: unknown): void {
    this.stats.storeErrors++;
    this.nsp.options.logger.warn(`connection-state recovery of ${this.nsp.name}: ${message}`, error);
  }
}

/** `session` with the handled window its resuming socket has now (a run may have answered meanwhile). */
function withHandled(session: RecoverySession, socket: Socket<any, any, any, any>): RecoverySession {
  return socket._handled === undefined ? session : { ...session, handled: socket._handled.record(Date.now()) };
}

/** Held packets not already covered by `position` (packets without a comparable position all pass). */
function after(held: OutgoingPacket[], position: string): OutgoingPacket[] {
  if (held.length === 0) return held;
  return held.filter((packet) => {
    const at = (packet.packet as Partial<EventAtPacket>).position;
    if (at === undefined) return true;
    const order = comparePositions(at, position);
    return order === undefined || order > 0;
  });
}
