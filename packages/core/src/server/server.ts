import type { IncomingMessage, Server as HttpServer } from "node:http";
import { CloseCode, ErrorCode, MAX_ACK_ID, PacketType, type ConnectPacket } from "@roomcast/protocol";
import type { AdapterConstructor } from "../broadcast/adapter.js";
import type { BroadcastOperator } from "../broadcast/broadcast-operator.js";
import { BroadcastSurface } from "../broadcast/broadcast-surface.js";
import { Connection, type ConnectionHost } from "../connection/connection.js";
import type { Wire } from "../dialect/wire.js";
import { Engine } from "../engine/engine.js";
import type { EdgeServer } from "../engine/edge-server.js";
import { HttpEndpoint } from "../engine/http-endpoint.js";
import { collectDebugCounts, type DebugCounts } from "./debug-counts.js";
import { HeartbeatSweep } from "../connection/heartbeat-sweep.js";
import { drainInBatches } from "./shutdown.js";
import { checkHealth, type HealthReport } from "./health.js";
import { traceServer } from "../trace.js";
import { createServerMetrics, type ServerMetrics } from "../metrics.js";
import { Namespace, type Middleware, type NamespaceHost, type NamespaceReservedEvents } from "../namespace/namespace.js";
import { ParentNamespace, type NamespaceMatcher } from "../namespace/parent-namespace.js";
import { optionWarnings, resolveOptions, type ServerOptions, type ServerOptionsInput } from "./server-options.js";
import type { DefaultEventsMap, EventNames, EventParams, EventsMap } from "../typed-events.js";

/** Local events of the server (those of the main namespace, plus "new_namespace"). */
export interface ServerReservedEvents<
  ListenEvents extends EventsMap,
  EmitEvents extends EventsMap,
  ServerSideEvents extends EventsMap,
  SocketData,
> extends NamespaceReservedEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
  new_namespace(namespace: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): void;
}

/**
 * The roomcast server: Socket.IO's server API over plain WebSocket frames.
 *
 * @example
 * const io = new Server<ClientToServer, ServerToClient>(httpServer, { allowedOrigins: ["https://app.example"] });
 * io.on("connection", (socket) => socket.on("chat", (text) => socket.broadcast.emit("chat", text)));
 */
export class Server<
    ListenEvents extends EventsMap = DefaultEventsMap,
    EmitEvents extends EventsMap = ListenEvents,
    ServerSideEvents extends EventsMap = DefaultEventsMap,
    SocketData = any,
  >
  extends BroadcastSurface<
    ServerSideEvents,
    EmitEvents,
    ServerReservedEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    SocketData
  >
  implements ConnectionHost, NamespaceHost, EdgeServer
{
  readonly options: ServerOptions;
  /** Mutable counters; exposed read-only as `metrics`. */
  readonly counters: ServerMetrics = createServerMetrics();
  /** The main namespace, "/". */
  readonly sockets: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  /**
   * The connection layer, as Socket.IO's `io.engine`: `use()` for Connect middlewares
   * (express-session, passport), the `connection_error`, `initial_headers` and `headers` events,
   * and `clientsCount`.
   */
  readonly engine: Engine;

  private adapterClass: AdapterConstructor;
  private readonly namespaces = new Map<string, Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>();
  private readonly parents: ParentNamespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>[] = [];
  private readonly connections = new Set<Connection>();
  private readonly sweep: HeartbeatSweep;
  private readonly edge: HttpEndpoint;
  private ackId = 0;
  private closing: Promise<void> | undefined;
  private closed = false;

  /**
   * @param srv an HTTP server to attach to, a port to listen on (a server is created), or the options.
   */
  constructor(srv?: HttpServer | number | ServerOptionsInput, options?: ServerOptionsInput) {
    super();
    if (srv !== undefined && typeof srv === "object" && !isHttpServer(srv)) {
      options = srv;
      srv = undefined;
    }
    this.options = resolveOptions(options);
    for (const warning of optionWarnings(this.options)) this.options.logger.warn(warning);
    this.adapterClass = this.options.adapter;
    this.sweep = new HeartbeatSweep(this.options, this.connections);
    this.engine = new Engine(() => this.connections.size);
    this.edge = new HttpEndpoint(this);
    this.sockets = this.of("/") as Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
    this.sockets.on("connect", (socket) => this.emitReserved("connect", socket));
    this.sockets.on("connection", (socket) => this.emitReserved("connection", socket));
    if (srv !== undefined) this.attach(srv as HttpServer | number);
  }

  /** Read-only counters of this server (see ServerMetrics). */
  get metrics(): Readonly<ServerMetrics> {
    return this.counters;
  }

  get adapterConstructor(): AdapterConstructor {
    return this.adapterClass;
  }

  /**
   * Sizes of the server's internal maps (connections, sockets, room index, pending acks, cluster
   * requests, per-address slots). For soak tests and diagnostics: every count returns to 0 (rooms
   * and sockets to what live clients hold) once traffic stops. Walks every socket; not for hot paths.
   */
  debugCounts(): DebugCounts {
    const namespaces = new Set([...this.namespaces.values(), ...this.parents]);
    return collectDebugCounts(namespaces, this.connections, this.edge.guard.trackedAddresses);
  }

  /** The HTTP server this server is attached to, if any. */
  get httpServer(): HttpServer | undefined {
    return this.edge.httpServer;
  }

  /** EdgeServer: true once `close()` began. */
  get isClosing(): boolean {
    return this.closing !== undefined;
  }

  /** True once `close()` finished. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Liveness and readiness for load balancers: not ready while `close()` drains, once it is
   * done, while the HTTP server is not listening, or while the cluster adapter's transport (the
   * Redis adapter's connections) is down; not live once `close()` is done. Cheap: reads flags
   * only. `createHealthHandler(io)` serves it over HTTP.
   *
   * @example
   * const { ready, reasons } = io.health(); // { live: true, ready: false, reasons: ["server closing"] }
   */
  health(): HealthReport {
    return checkHealth(this);
  }

  /** Namespaces by name, dynamic namespaces' children included (Socket.IO's `io._nsps`); for metrics and diagnostics. */
  get _nsps(): ReadonlyMap<string, Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>> {
    return this.namespaces;
  }

  /**
   * The path of roomcast's own endpoint (option `path`).
   *
   * @throws TypeError when given a value: paths are options of the constructor (Socket.IO's
   *   setter form is not offered, so a late change cannot be silently ignored)
   */
  path(...value: unknown[]): string {
    if (value.length > 0) throw new TypeError("io.path(value) is not supported: set path (or socketio.path) in new Server(options)");
    return this.options.path;
  }

  /** Sets the adapter class of every namespace (call before clients connect). */
  adapter(): AdapterConstructor;
  adapter(constructor: AdapterConstructor): this;
  adapter(constructor?: AdapterConstructor): AdapterConstructor | this {
    if (constructor === undefined) return this.adapterClass;
    this.adapterClass = constructor;
    for (const nsp of this.namespaces.values()) nsp.initAdapter();
    return this;
  }

  /** NamespaceHost: an emptied dynamic child is forgotten, so the next CONNECT to its name creates a new one. */
  _removeNamespace(nsp: Namespace<any, any, any, any>): void {
    if (this.namespaces.get(nsp.name) === nsp) this.namespaces.delete(nsp.name);
  }

  /** Runs `io.on(...)` listeners for a server-side event another node sent to the main namespace. */
  _onServerSideEmit(args: unknown[]): void {
    this.emitUntyped(args[0] as string, ...args.slice(1));
  }

  nextAckId(): number {
    this.ackId = this.ackId >= MAX_ACK_ID ? 0 : this.ackId + 1;
    return this.ackId;
  }

  protected newBroadcastOperator(): BroadcastOperator<EmitEvents, SocketData> {
    return (this.sockets as unknown as { newBroadcastOperator(): BroadcastOperator<EmitEvents, SocketData> }).newBroadcastOperator();
  }

  /**
   * Attaches to an HTTP server, or creates one listening on `port`.
   *
   * @throws TypeError when given options (Socket.IO accepts them here; roomcast reads every
   *   option once, in the constructor, so none can be dropped on the way), or when already attached
   */
  attach(srv: HttpServer | number, ...options: unknown[]): this {
    if (options.length > 0 && options[0] !== undefined) {
      throw new TypeError("attach()/listen() take no options: pass them to new Server(options), then call io.attach(httpServer)");
    }
    this.edge.attach(srv);
    return this;
  }

  /** Same as `attach`. */
  listen(srv: HttpServer | number, ...options: unknown[]): this {
    return this.attach(srv, ...options);
  }

  /** EdgeServer: a transport is ready (a WebSocket, or an Engine.IO session), so a Connection opens. */
  openConnection(wire: Wire, req: IncomingMessage, auth: Record<string, unknown> | undefined, pingFromStart: boolean, id?: string): void {
    const conn = new Connection(wire, req, this, auth, pingFromStart, id);
    this.connections.add(conn);
    this.sweep.start();
    this.counters.connections++;
    this.counters.connectionsOpened++;
    if (this.closing) {
      conn.close(CloseCode.SERVICE_RESTART, "server shutting down", "server shutting down");
      return;
    }
    try {
      this.engine.emit("connection", conn);
    } catch (err) {
      this.reportError(err);
    }
  }

  /** ConnectionHost: a connection ended. */
  connectionClosed(conn: Connection): void {
    if (!this.connections.delete(conn)) return;
    this.counters.connections--;
    this.edge.guard.release(conn.remoteAddress);
  }

  /** ConnectionHost: resolves the namespace of a CONNECT (creating a dynamic child if one matches) and admits. */
  connectNamespace(conn: Connection, packet: ConnectPacket): void {
    const name = packet.nsp;
    if (conn.socketOf(name) !== undefined || conn.pendingNamespaces.has(name)) return;
    if (conn.namespaceCount >= this.options.maxNamespacesPerConnection) {
      this.counters.connectErrors++;
      if (traceServer.enabled) traceServer("conn %s refused namespace %s: too many namespaces", conn.id, name);
      conn.send({
        type: PacketType.CONNECT_ERROR,
        nsp: name,
        message: "Too many namespaces",
        data: { code: ErrorCode.TOO_MANY_NAMESPACES },
      });
      return;
    }
    const auth = packet.auth ?? conn.subprotocolAuth ?? {};
    conn.addPending(name);
    const existing = this.namespaces.get(name);
    if (existing) {
      existing._add(conn, auth, packet.resume);
      return;
    }
    this.matchDynamic(name, auth, 0, (nsp) => {
      if (nsp) {
        nsp._add(conn, auth, packet.resume);
        return;
      }
      conn.deletePending(name);
      this.counters.connectErrors++;
      if (traceServer.enabled) traceServer("conn %s refused namespace %s: unknown namespace", conn.id, name);
      if (conn.readyState === "open") {
        conn.send({ type: PacketType.CONNECT_ERROR, nsp: name, message: "Invalid namespace", data: { code: ErrorCode.UNKNOWN_NAMESPACE } });
      }
    });
  }

  private matchDynamic(
    name: string,
    auth: Record<string, unknown>,
    index: number,
    done: (nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> | undefined) => void,
  ): void {
    const parent = this.parents[index];
    if (!parent) {
      done(undefined);
      return;
    }
    parent.matches(name, auth, (allowed) => {
      if (!allowed) {
        this.matchDynamic(name, auth, index + 1, done);
        return;
      }
      // Another CONNECT may have created it while the matcher ran.
      let nsp = this.namespaces.get(name);
      if (!nsp) {
        nsp = parent.createChild(name);
        this.namespaces.set(name, nsp);
        try {
          this.emitReserved("new_namespace", nsp);
        } catch (err) {
          this.reportError(err);
        }
      }
      done(nsp);
    });
  }

  /**
   * A namespace: `io.of("/admin")` (created if needed), or a dynamic one from a RegExp or a
   * matcher function whose children are created on first connect.
   */
  of(name: string | RegExp | NamespaceMatcher): Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
    if (typeof name === "function" || name instanceof RegExp) {
      const matcher: NamespaceMatcher =
        typeof name === "function" ? name : (nsp, _auth, next) => next(null, (name as RegExp).test(nsp));
      const parent = new ParentNamespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>(this, matcher);
      this.parents.push(parent);
      return parent;
    }
    const normalized = name.startsWith("/") ? name : `/${name}`;
    let nsp = this.namespaces.get(normalized);
    if (!nsp) {
      nsp = new Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>(this, normalized);
      this.namespaces.set(normalized, nsp);
      if (this.sockets) {
        try {
          this.emitReserved("new_namespace", nsp);
        } catch (err) {
          this.reportError(err);
        }
      }
    }
    return nsp;
  }

  /** Adds a connection middleware to the main namespace. */
  use(fn: Middleware<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): this {
    this.sockets.use(fn);
    return this;
  }

  /** See Namespace#serverSideEmit (main namespace). */
  serverSideEmit<Ev extends EventNames<ServerSideEvents>>(ev: Ev, ...args: EventParams<ServerSideEvents, Ev>): boolean {
    return this.sockets.serverSideEmit(ev, ...args);
  }

  /** See Namespace#serverSideEmitWithAck (main namespace). */
  serverSideEmitWithAck<Ev extends EventNames<ServerSideEvents>>(ev: Ev, ...args: unknown[]): Promise<unknown[]> {
    return this.sockets.serverSideEmitWithAck(ev, ...args);
  }

  /**
   * Shuts down: every connection closes with 1012 (clients reconnect elsewhere), pending acks and
   * timers are cleared, adapters are closed, and the HTTP server is closed. Peers that do not
   * answer the close handshake within `closeTimeout` are cut off. Like Socket.IO, it also takes
   * an optional callback.
   */
  close(callback?: (err?: Error) => void): Promise<void> {
    const closing = (this.closing ??= this.shutdown());
    if (callback) closing.then(() => callback(), callback);
    return closing;
  }

  private async shutdown(): Promise<void> {
    const closed: Promise<void>[] = [];
    // Closing removes a connection from `connections` at once; keep them to cut off laggards.
    const open = [...this.connections];
    for (const conn of open) closed.push(new Promise<void>((resolve) => conn.onceClosed(resolve)));
    // In batches: clients reconnect elsewhere with jitter, and batches spread that load further.
    await drainInBatches(open, this.options.shutdown, () => this.counters.shutdownBatches++);
    if (closed.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), this.options.closeTimeout);
      });
      const outcome = await Promise.race([Promise.all(closed), deadline]);
      clearTimeout(timer);
      if (outcome === "timeout") {
        for (const conn of open) conn.terminate();
        // Terminated sockets report "close" asynchronously; nothing more to wait for.
      }
    }
    for (const nsp of new Set([...this.namespaces.values(), ...this.parents])) {
      try {
        await nsp.adapter.close();
        // after the connections closed: the sessions they left are written before the store closes
        await nsp.recovery?.close();
      } catch (err) {
        this.reportError(err);
      }
    }
    this.sweep.stop();
    this.edge.close();
    const server = this.httpServer;
    if (server) {
      // Unbound only once closed: a request already on its way over a keep-alive connection (a
      // polling client's last POST) is still answered, or the HTTP server would wait for it forever.
      await new Promise<void>((resolve) => {
        if (!server.listening) {
          resolve();
          return;
        }
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      this.edge.unbind();
    }
    this.closed = true;
  }

  reportError(err: unknown): void {
    this.counters.handlerErrors++;
    this.options.logger.error("unhandled error in a server listener", err);
  }

  [Symbol.for("nodejs.rejection")](err: unknown): void {
    this.reportError(err);
  }
}

function isHttpServer(value: object): value is HttpServer {
  return typeof (value as { listen?: unknown }).listen === "function" && typeof (value as { on?: unknown }).on === "function";
}
