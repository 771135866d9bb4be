import { randomBytes } from "node:crypto";
import { ErrorCode, PacketType, type ResumeRequest } from "@roomcast/protocol";
import type { Adapter, AdapterConstructor, AdapterNamespace, HandledLateNotice } from "../broadcast/adapter.js";
import { BroadcastOperator, assertNotReserved, type BroadcastHost } from "../broadcast/broadcast-operator.js";
import { BroadcastSurface } from "../broadcast/broadcast-surface.js";
import type { Connection } from "../connection/connection.js";
import type { ServerMetrics } from "../metrics.js";
import type { OutgoingPacket } from "../dialect/outgoing-packet.js";
import { NamespaceRecovery } from "../recovery/namespace-recovery.js";
import type { ServerOptions } from "../server/server-options.js";
import { Socket } from "../socket/socket.js";
import { traceServer } from "../trace.js";
import type { DefaultEventsMap, EventNames, EventParams, EventsMap } from "../typed-events.js";
import type { Room, SocketId } from "../types.js";

/** Local events of a namespace. */
export interface NamespaceReservedEvents<
  ListenEvents extends EventsMap,
  EmitEvents extends EventsMap,
  ServerSideEvents extends EventsMap,
  SocketData,
> {
  connect(socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): void;
  connection(socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): void;
}

/** A connection middleware: `next()` admits the socket, `next(err)` answers CONNECT_ERROR. */
export type Middleware<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  SocketData = any,
> = (
  socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
  next: (err?: Error & { data?: unknown }) => void,
) => void;

/** An error a middleware passed to `next(err)` or threw. */
type MiddlewareError = Error & { data?: unknown };

/**
 * What CONNECT_ERROR says instead of a middleware's own error when option
 * `exposeMiddlewareErrors` keeps that error on the server. A new one each time: a dialect may
 * walk `data` to take binary parts out.
 */
function genericMiddlewareError(): MiddlewareError {
  return Object.assign(new Error("middleware error"), { data: { code: ErrorCode.MIDDLEWARE_REJECTED } });
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}

/** What a namespace needs from its server. */
export interface NamespaceHost {
  readonly options: ServerOptions;
  readonly counters: ServerMetrics;
  readonly adapterConstructor: AdapterConstructor;
  nextAckId(): number;
  /** Runs the server's own listeners for a server-side event of the main namespace. */
  _onServerSideEmit(args: unknown[]): void;
  /**
   * Forgets `nsp`, a child of a dynamic namespace that its parent removed (option
   * `cleanupEmptyChildNamespaces`; its adapter is already closed): the next CONNECT to that name
   * creates a new child. A different namespace registered under the same name is left alone.
   */
  _removeNamespace(nsp: Namespace<any, any, any, any>): void;
}

/** What a child namespace needs of the dynamic namespace that created it, to be removed when empty. */
export interface ChildNamespaceOwner {
  /** Drops an emptied child: closes its adapter and recovery, unregisters it here and on the server. */
  removeChild(child: Namespace<any, any, any, any>): void;
}

/**
 * A namespace: a set of sockets with its own middleware, rooms and adapter. Created with
 * `io.of(name)`; the main namespace is `io.sockets` ("/").
 */
export class Namespace<
    ListenEvents extends EventsMap = DefaultEventsMap,
    EmitEvents extends EventsMap = ListenEvents,
    ServerSideEvents extends EventsMap = DefaultEventsMap,
    SocketData = any,
  >
  extends BroadcastSurface<
    ServerSideEvents,
    EmitEvents,
    NamespaceReservedEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    SocketData
  >
  implements AdapterNamespace, BroadcastHost
{
  /** Connected sockets of this namespace on this node, by id. */
  readonly sockets = new Map<SocketId, Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>();
  adapter!: Adapter;
  /** Connection-state recovery of this namespace; undefined when the server option is unset. */
  readonly recovery: NamespaceRecovery | undefined;
  private readonly middleware: Middleware<ListenEvents, EmitEvents, ServerSideEvents, SocketData>[] = [];
  /**
   * CONNECTs between `_add` and their outcome (admitted, refused, or the connection went away):
   * an emptied child is removed only when none is under way, or its socket would land in a
   * namespace nobody can reach.
   */
  private admitting = 0;

  constructor(
    readonly server: NamespaceHost,
    readonly name: string,
    /** Set for a child of a dynamic (RegExp or function) namespace. */
    readonly parent?: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> & ChildNamespaceOwner,
  ) {
    super();
    this.initAdapter();
    this.recovery = this.createRecovery();
  }

  /** A NamespaceRecovery when the server enables `connectionStateRecovery`. */
  protected createRecovery(): NamespaceRecovery | undefined {
    const options = this.server.options.connectionStateRecovery;
    return options === undefined ? undefined : new NamespaceRecovery(this, options);
  }

  /** (Re)creates the adapter; called again when `io.adapter(…)` changes the adapter class. */
  initAdapter(): void {
    // A replaced adapter (io.adapter(...) after namespaces exist) must stop heartbeating and unsubscribe.
    const previous = this.adapter as Adapter | undefined;
    this.adapter = new this.server.adapterConstructor(this);
    // a recovery store that follows rooms follows the new adapter's
    this.recovery?.watchRooms();
    void Promise.resolve()
      .then(() => previous?.close())
      .then(() => this.adapter.init())
      .catch((err) => this.server.options.logger.error(`adapter of ${this.name} failed to start`, err));
  }

  get options(): ServerOptions {
    return this.server.options;
  }

  get counters(): ServerMetrics {
    return this.server.counters;
  }

  nextAckId(): number {
    return this.server.nextAckId();
  }

  createSocketId(): SocketId {
    // Random, not sequential: ids are visible to clients and must not reveal or predict others.
    // cluster/channels.ts `looksLikeSocketId` recognises this shape; change both together.
    return randomBytes(12).toString("base64url");
  }

  protected newBroadcastOperator(): BroadcastOperator<EmitEvents, SocketData> {
    return new BroadcastOperator(this);
  }

  /** Adds a connection middleware. @example nsp.use((socket, next) => socket.handshake.auth.token ? next() : next(new Error("unauthorized"))) */
  use(fn: Middleware<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): this {
    this.middleware.push(fn);
    return this;
  }

  /**
   * Sends an event to the other nodes' namespaces of the same name. On a single node nothing
   * listens; with a trailing callback it is called with `(null, [])`.
   */
  serverSideEmit<Ev extends EventNames<ServerSideEvents>>(ev: Ev, ...args: EventParams<ServerSideEvents, Ev>): boolean {
    assertNotReserved(ev);
    this.adapter.serverSideEmit([ev, ...args]);
    return true;
  }

  /** Promise form of `serverSideEmit` with an ack: resolves to the other nodes' replies. */
  serverSideEmitWithAck<Ev extends EventNames<ServerSideEvents>>(ev: Ev, ...args: unknown[]): Promise<unknown[]> {
    return new Promise((resolve, reject) => {
      try {
        assertNotReserved(ev);
        this.adapter.serverSideEmit([ev, ...args, (err: Error | null, replies: unknown[]) => (err ? reject(err) : resolve(replies))]);
      } catch (err) {
        reject(err);
      }
    });
  }

  /** Runs listeners for a server-side event another node sent (called by cluster adapters). */
  onServerSideEmit(args: unknown[]): void {
    try {
      this.emitUntyped(args[0] as string, ...args.slice(1));
      // Socket.IO apps listen for server-side events on `io` itself: the main namespace forwards.
      if (this.name === "/") this.server._onServerSideEmit(args);
    } catch (err) {
      this.reportError(err);
    }
  }

  /** A late outcome of an emit with an id, from another node (called by cluster adapters). */
  onHandledLate(notice: HandledLateNotice): void {
    this.recovery?.handledElsewhere(notice);
  }

  /** Rooms just joined by a change from another node are ready for its recoverable emits (called by cluster adapters). */
  roomsReady(rooms: readonly Room[]): Promise<void> | undefined {
    return this.recovery?.roomsReady(rooms);
  }

  /** Recoverable emits reach the other nodes through the recovery store (read by cluster adapters). */
  get recoveryDistributes(): boolean {
    return this.recovery?.store.distributes === true;
  }

  /** The recovery store took the recoverable emits made so far (called by cluster adapters). */
  appendsTaken(): Promise<string | undefined> | undefined {
    return this.recovery?.store.appendsTaken?.();
  }

  /** The recovery store delivered through `position` (called by cluster adapters). */
  storeThrough(position: string): Promise<unknown> | undefined {
    return this.recovery?.store.deliveredThrough?.(position);
  }

  /** Admits `conn` into this namespace after its middleware (the parent's first, for a child). */
  _add(conn: Connection, auth: Record<string, unknown>, resume?: ResumeRequest): void {
    this.admitting++;
    if (this.recovery !== undefined) {
      this.recovery.connect(conn, auth, resume);
      return;
    }
    const socket = new Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>(this, conn, auth);
    this._admit(socket, false, () => this._complete(socket), () => {});
  }

  /**
   * Runs the connection middleware (none when `skip`), then `admitted`. Answers CONNECT_ERROR on
   * a middleware error; calls `gone` when the connection closed or joined meanwhile.
   */
  _admit(socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>, skip: boolean, admitted: () => void, gone: () => void): void {
    const conn = socket.conn;
    const chain = skip ? [] : this.parent ? [...this.parent.middleware, ...this.middleware] : this.middleware;
    this.runMiddleware(chain, socket, 0, (err, thrown) => {
      if (conn.readyState !== "open" || conn.socketOf(this.name) !== undefined) {
        conn.deletePending(this.name);
        gone();
        this._admissionEnded();
        return;
      }
      if (err) {
        conn.deletePending(this.name);
        this.counters.connectErrors++;
        if (traceServer.enabled) traceServer("conn %s refused by the middleware of namespace %s", conn.id, this.name);
        const exposure = this.options.exposeMiddlewareErrors;
        const shown = exposure === "all" || (exposure === "next" && !thrown) ? err : genericMiddlewareError();
        const packet = { type: PacketType.CONNECT_ERROR, nsp: this.name, message: shown.message || "connection refused" } as const;
        conn.send(shown.data === undefined ? packet : { ...packet, data: shown.data });
        this._admissionEnded();
        return;
      }
      admitted();
    });
  }

  /**
   * The socket is in: registered, told CONNECTED, then sent `after` (a recovery's replay), then
   * announced with "connection". `recovery` carries the CONNECTED fields of recovery.
   */
  _complete(socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>, recovery?: Record<string, unknown>, after?: OutgoingPacket[]): void {
    socket.conn.deletePending(this.name);
    this.sockets.set(socket.id, socket);
    this.admitting--;
    if (traceServer.enabled) {
      traceServer("socket %s joined namespace %s on conn %s%s", socket.id, this.name, socket.conn.id, socket.recovered ? " (session recovered)" : "");
    }
    socket._onconnect(recovery);
    if (after !== undefined) for (const packet of after) socket.conn.push(packet);
    this.announce(socket);
  }

  private announce(socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): void {
    for (const nsp of this.parent ? [this, this.parent] : [this]) {
      for (const ev of ["connect", "connection"] as const) {
        if (!socket.connected) return;
        try {
          nsp.emitReserved(ev, socket);
        } catch (err) {
          socket.reportError(err);
        }
      }
    }
  }

  /**
   * Runs `chain` from `index`; `done(err, thrown)` once a middleware refuses (`thrown` when it
   * threw, or its promise rejected, rather than calling `next(err)`) or all of them admitted.
   */
  private runMiddleware(
    chain: Middleware<ListenEvents, EmitEvents, ServerSideEvents, SocketData>[],
    socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    index: number,
    done: (err: MiddlewareError | undefined, thrown: boolean) => void,
  ): void {
    if (index === chain.length) {
      done(undefined, false);
      return;
    }
    let called = false;
    const settle = (err: MiddlewareError | undefined, thrown: boolean): void => {
      if (called) return;
      called = true;
      if (err) done(err, thrown);
      else this.runMiddleware(chain, socket, index + 1, done);
    };
    const next = (err?: MiddlewareError): void => settle(err, false);
    // An exception is a bug, not a refusal: the logger gets it whole, even after next() was called.
    const fail = (err: unknown): void => {
      this.counters.handlerErrors++;
      this.server.options.logger.error(`a connection middleware of namespace ${this.name} threw`, err);
      settle(err instanceof Error ? err : new Error(String(err)), true);
    };
    try {
      const result: unknown = chain[index](socket, next);
      // An async middleware's rejection is its exception (Socket.IO leaves it unhandled and the client waiting).
      if (isPromiseLike(result)) result.then(undefined, fail);
    } catch (err) {
      fail(err);
    }
  }

  /** Forgets a disconnected socket; an emptied child goes too with `cleanupEmptyChildNamespaces`. */
  _remove(socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): void {
    if (this.sockets.get(socket.id) === socket) this.sockets.delete(socket.id);
    this.removeIfEmpty();
  }

  /** A CONNECT that `_add` took ended without a socket (refused, or its connection went away). */
  _admissionEnded(): void {
    this.admitting--;
    // a child created for a CONNECT that failed would otherwise stay, empty, for good
    this.removeIfEmpty();
  }

  /**
   * Socket.IO's `cleanupEmptyChildNamespaces` (socket.io/lib/parent-namespace.ts): a child of a
   * dynamic namespace with no socket left is removed, and re-created on the next CONNECT.
   */
  private removeIfEmpty(): void {
    const parent = this.parent;
    if (parent === undefined || !this.server.options.cleanupEmptyChildNamespaces) return;
    if (this.sockets.size === 0 && this.admitting === 0) parent.removeChild(this);
  }

  reportError(err: unknown): void {
    this.counters.handlerErrors++;
    this.server.options.logger.error(`unhandled error in namespace ${this.name}`, err);
  }

  [Symbol.for("nodejs.rejection")](err: unknown): void {
    this.reportError(err);
  }
}
