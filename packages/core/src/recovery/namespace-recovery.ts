import { randomBytes } from "node:crypto";
import { type EventAtPacket, PacketType, type ResumeRequest } from "@roomcast/protocol";
import { HandledEmits, type HandledEmitsOptions } from "../acks/handled-emits.js";
import type { Adapter } from "../broadcast/adapter.js";
import type { Connection } from "../connection/connection.js";
import { OutgoingPacket } from "../dialect/outgoing-packet.js";
import type { Logger } from "../server/server-options.js";
import { Socket } from "../socket/socket.js";
import type { RecoverableSocket } from "../socket/socket-namespace.js";
import type { BroadcastFlags, BroadcastOptions, Room, SocketId } from "../types.js";
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
  /** Stale sockets closed because another node resumed their session (live-session stores). */
  takenOver: number;
}

/* Sockets that disconnect on purpose have nothing to come back to. */
const DELIBERATE = new Set(["client namespace disconnect", "server namespace disconnect"]);

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

  constructor(
    private readonly nsp: RecoveryHost,
    options: ConnectionStateRecoveryOptions,
  ) {
    /* Socket.IO's default: rides out a phone switching networks or a server restart */
    this.maxDisconnectionDuration = options.maxDisconnectionDuration ?? 120_000;
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
  }

  /** A broadcast that may be replayed: stamped once by the store, then delivered. */
  emit(data: unknown[], opts: BroadcastOptions): void {
    this.store.append(data, opts);
  }

  /** A direct `socket.emit` without ack: a packet to the socket's own id room, so it can be replayed. */
  emitTo(id: SocketId, data: unknown[], flags: BroadcastFlags): void {
    // it only concerns a local socket: no need to tell the other nodes, unless the store carries it
    this.store.append(data, { rooms: new Set([id]), flags: this.store.distributes ? flags : { ...flags, local: true } });
  }

  private deliver(packet: OutgoingPacket, opts: BroadcastOptions): void {
    if (this.store.distributes && !opts.flags?.local) opts = { rooms: opts.rooms, except: opts.except, flags: { ...opts.flags, local: true } };
    this.nsp.adapter.broadcast(packet, opts);
  }

  /** A socket is leaving: keep its session unless it left on purpose. Call before it leaves its rooms. */
  persist(socket: RecoverableSocket, reason: string): void {
    const pid = socket._pid;
    if (pid === undefined) return;
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
   * A run of an emit with an id answered (or was dropped: `reply` undefined) after its socket had
   * dropped. Its session is now with a socket of this node that resumed it, kept in the store, or
   * resumed on another node: the answer goes to each place it may be.
   */
  handledLate(socket: RecoverableSocket, id: number, reply: unknown[] | undefined): void {
    const pid = socket._pid;
    const window = socket._handled;
    if (pid === undefined || window === undefined) return;
    const live = this.resuming.get(pid) ?? this.nsp.sockets.get(socket.id);
    if (live !== undefined && live !== socket && live._pid === pid) {
      live._settleHandled(id, reply);
      return;
    }
    const store = this.store;
    if (store.updateHandled !== undefined) {
      settle(
        () => store.updateHandled!(pid, window.record(Date.now())),
        () => {},
        (err) => this.warn(`could not keep a late reply for the session of ${socket.id}`, err),
      );
    }
    // resumed on another node: the reply reaches its socket through the socket's own room
    if (reply !== undefined && this.store.distributes) {
      const ack = new OutgoingPacket({ type: PacketType.ACK, nsp: this.nsp.name, id, data: reply });
      this.nsp.adapter.broadcast(ack, { rooms: new Set([socket.id]) });
    }
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

  /** `handled`: the window of a session whose resume failed, kept by the fresh one (the same client resends the same ids). */
  private admit(conn: Connection, auth: Record<string, unknown>, session: RecoverySession | undefined, position: string, handled?: HandledEmits): void {
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
      this.admit(conn, auth, undefined, "", socket._handled);
    };
    if (session === undefined) {
      settle(
        () => this.store.head(),
        (head) => {
          if (gone()) return;
          socket._held = undefined;
          this.live?.track(socket, undefined);
          nsp._complete(socket, { pid: socket._pid, recovered: false, position: head }, after(held, head));
        },
        (err) => {
          this.warn("could not read the stream head", err);
          if (gone()) return;
          // no position: the client cannot resume this session, but it is connected
          socket._held = undefined;
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

  /** Undoes `enter` for a socket that will not be admitted after all. */
  private abandon(socket: Socket<any, any, any, any>): void {
    socket._held = undefined;
    this.nsp.adapter.delAll(socket.id);
    if (this.nsp.sockets.get(socket.id) === socket) this.nsp.sockets.delete(socket.id);
  }

  close(): void | Promise<void> {
    this.resuming.clear();
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
