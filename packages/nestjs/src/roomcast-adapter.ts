import type { Server as HttpServer } from "node:http";
import { Logger, type INestApplicationContext, type WsMessageHandler } from "@nestjs/common";
import { AbstractWsAdapter } from "@nestjs/websockets";
import { Server, resolveOptions, type Namespace, type NamespaceMatcher, type ServerOptionsInput, type Socket } from "@roomcast/core";
import { Server as SocketIoReadingServer } from "@roomcast/core/socket.io";
import type { Observable } from "rxjs";
import { describePort, splitGatewayOptions, type RoomcastGatewayOptions } from "./gateway-options.js";
import { bindSocketHandlers, type BindingHost } from "./message-binding.js";
import { differingOptions } from "./option-comparison.js";
import { createAdapterMetrics, type AdapterMetrics } from "./pending-replies.js";
import { ServerRegistry, type ServerEntry, type ServerSite } from "./server-registry.js";

/**
 * Options of `new RoomcastAdapter(app, options)`: roomcast server options every server of the
 * adapter starts from (a gateway's own options go over them), and the adapter's own limit.
 */
export interface RoomcastAdapterOptions extends ServerOptionsInput {
  /**
   * Handler results (Promises, Observables) one socket may have running at once. Beyond, its
   * events are not handled: the client gets an "exception" event with code
   * `ERR_TOO_MANY_PENDING_REPLIES`, counted in `adapter.metrics.refusedMessages`. Default 1000.
   */
  maxPendingReplies?: number;
}

/** What a gateway's `@WebSocketServer()` property holds: the Server, or its namespace when the gateway has one. */
export type RoomcastGatewayServer = Server<any, any, any, any> | Namespace<any, any, any, any>;

/* as roomcast's maxPendingAcks: far above what a well-behaved client keeps in flight, and a client
   that sends faster than its handlers finish cannot grow the server's memory without bound */
const DEFAULT_MAX_PENDING_REPLIES = 1000;

/**
 * Nest's WebSocket adapter for roomcast: `@WebSocketGateway`s are served by a roomcast `Server`,
 * with the programming model of `@nestjs/platform-socket.io`'s IoAdapter (namespaces, rooms,
 * acks, `WsResponse`, `WsException` as the "exception" event).
 *
 * One roomcast Server per HTTP server: gateways without a port share the app's, each in its
 * namespace; a gateway with a port gets a Server listening on that port. Gateway options are
 * roomcast's server options, checked by roomcast (an unknown or mistyped option throws when the
 * app starts). A server with `socketio` on (in the adapter's options or the gateway's) reads them
 * as Socket.IO does, as `@roomcast/core/socket.io` does: `path` is where socket.io-clients connect.
 *
 * @example
 * const app = await NestFactory.create(AppModule);
 * app.useWebSocketAdapter(new RoomcastAdapter(app, { socketio: true }));
 * await app.listen(3000);
 */
export class RoomcastAdapter extends AbstractWsAdapter<any, any, RoomcastGatewayOptions> implements BindingHost {
  /** Counters of the adapter over all its sockets (see AdapterMetrics). */
  readonly metrics: AdapterMetrics = createAdapterMetrics();
  readonly maxPendingReplies: number;
  private readonly logger = new Logger(RoomcastAdapter.name);
  private readonly serverDefaults: ServerOptionsInput;
  private readonly registry = new ServerRegistry();

  /**
   * @param appOrHttpServer the Nest application (its HTTP server is shared), an HTTP server, or
   *   nothing (gateways without a port then get a server on a port of their own, chosen by the system)
   * @param options server options for every server of the adapter, and `maxPendingReplies`
   * @throws TypeError for an unknown option or a value of the wrong type, as `new Server()` does,
   *   or a `maxPendingReplies` that is not a positive integer
   */
  constructor(appOrHttpServer?: INestApplicationContext | HttpServer, options: RoomcastAdapterOptions = {}) {
    super(appOrHttpServer);
    const { maxPendingReplies = DEFAULT_MAX_PENDING_REPLIES, ...serverDefaults } = options;
    if (!Number.isSafeInteger(maxPendingReplies) || maxPendingReplies < 1) {
      throw new TypeError(`option "maxPendingReplies" must be a positive integer (handler results pending per socket), got ${String(maxPendingReplies)}`);
    }
    // Checked now, so that a typo fails where the adapter is made rather than when a gateway starts.
    resolveOptions(serverDefaults);
    this.maxPendingReplies = maxPendingReplies;
    this.serverDefaults = serverDefaults;
  }

  /**
   * Nest calls this for each gateway: the first gateway of a site (the app's HTTP server, or a
   * port) creates its Server; a namespaced gateway then gets `server.of(namespace)`.
   *
   * @throws TypeError from roomcast for a bad option; TypeError when a second Server is asked for on
   *   a site that has one (gateways on one port with different `path`s)
   */
  create(port: number, options?: RoomcastGatewayOptions): RoomcastGatewayServer {
    const { namespace, server, serverOptions } = splitGatewayOptions(options);
    if (server !== undefined) {
      const shared = this.registry.of(server);
      if (shared !== undefined) this.checkSharedOptions(shared, serverOptions, namespace);
      return namespace === undefined ? server : server.of(namespace);
    }
    const entry = this.open(port, serverOptions);
    return namespace === undefined ? entry.server : entry.server.of(namespace);
  }

  override bindClientDisconnect(client: Socket<any, any, any, any>, callback: (reason: string) => void): void {
    client.once("disconnect", (reason) => callback(reason));
  }

  bindMessageHandlers(client: Socket<any, any, any, any>, handlers: WsMessageHandler[], transform: (data: unknown) => Observable<unknown>): void {
    bindSocketHandlers(client, handlers, transform, this);
  }

  /**
   * Turns away a client that connected before the app finished starting: its connection closes
   * with 1012 (service restart), so the client comes back after its reconnection delay.
   */
  closeClient(client: Socket<any, any, any, any>): void {
    client.conn.drain();
  }

  /**
   * Closes a Server the adapter created (namespaces close with their server): its connections close
   * with 1012, then its HTTP server closes. With Nest's `forceCloseConnections`, a Server on the
   * app's HTTP server is not waited for: Nest's HTTP adapter destroys that server's remaining
   * connections right after this returns, which waiting here would block.
   */
  override async close(server: RoomcastGatewayServer): Promise<void> {
    const entry = this.registry.of(server as Server<any, any, any, any>);
    if (entry === undefined) return;
    this.registry.remove(entry);
    await this.shut(entry);
  }

  /** Closes what `close()` was not called for. */
  override async dispose(): Promise<void> {
    await Promise.all(this.registry.takeAll().map((entry) => this.shut(entry)));
  }

  logError(message: string, err?: unknown): void {
    this.logger.error(message, err instanceof Error ? err.stack : err);
  }

  logWarning(message: string): void {
    this.logger.warn(message);
  }

  private shut(entry: ServerEntry): Promise<void> {
    const closing = entry.server.close();
    if (this.forceCloseConnections && entry.site === this.httpServer) {
      closing.catch((err: unknown) => this.logError(`the roomcast server on ${entry.where} failed to close`, err));
      return Promise.resolve();
    }
    return closing;
  }

  private open(port: number, gatewayOptions: ServerOptionsInput): ServerEntry {
    const site: ServerSite = port === 0 && this.httpServer !== undefined ? (this.httpServer as HttpServer) : port;
    const where = site === port && port === 0 ? "a port of its own (the adapter has no HTTP server)" : describePort(port);
    const existing = this.registry.at(site);
    if (existing !== undefined) {
      throw new TypeError(
        `gateways on ${where} share one roomcast Server, created with path ${describePath(existing.options.path)}; ` +
          `another gateway there asks for path ${describePath(gatewayOptions.path)}. Give the gateways on ${where} the same path ` +
          `(their namespaces keep them apart), or the other gateway a port of its own`,
      );
    }
    const options: ServerOptionsInput = { ...this.serverDefaults, ...gatewayOptions };
    let server: Server<any, any, any, any>;
    try {
      // A server that serves socket.io-clients reads `path` as IoAdapter did: where they connect.
      server = servesSocketIo(options) ? new SocketIoReadingServer(options) : new Server(options);
    } catch (err) {
      throw withContext(err, `the options of a @WebSocketGateway on ${where}`);
    }
    server.attach(site);
    const entry: ServerEntry = { server, site, options, where };
    this.registry.add(entry);
    return entry;
  }

  /**
   * A namespaced gateway joining a server another gateway created keeps that server's options, as
   * with IoAdapter; options of its own that differ are checked and reported, not silently dropped.
   */
  private checkSharedOptions(entry: ServerEntry, gatewayOptions: ServerOptionsInput, namespace: RoomcastGatewayOptions["namespace"]): void {
    try {
      resolveOptions({ ...this.serverDefaults, ...gatewayOptions });
    } catch (err) {
      throw withContext(err, `the options of the @WebSocketGateway of namespace ${describeNamespace(namespace)} on ${entry.where}`);
    }
    const ignored = differingOptions(gatewayOptions as Record<string, unknown>, entry.options as Record<string, unknown>);
    if (ignored.length === 0) return;
    this.logWarning(
      `the gateway of namespace ${describeNamespace(namespace)} shares the roomcast Server on ${entry.where} with the gateway that created it; ` +
        `its options ${ignored.map((name) => `"${name}"`).join(", ")} differ from that server's and are not applied. ` +
        `Give every gateway on ${entry.where} the same options, or set them once in new RoomcastAdapter(app, options)`,
    );
  }
}

function servesSocketIo(options: ServerOptionsInput): boolean {
  return options.socketio !== undefined && options.socketio !== false;
}

function describePath(path: string | undefined): string {
  return path === undefined ? "(the default)" : `"${path}"`;
}

function describeNamespace(namespace: string | RegExp | NamespaceMatcher | undefined): string {
  if (namespace === undefined) return '"/"';
  if (typeof namespace === "function") return "(a matcher function)";
  return namespace instanceof RegExp ? String(namespace) : `"${namespace.startsWith("/") ? namespace : `/${namespace}`}"`;
}

/** roomcast's option errors name the option; this adds which gateway gave it, keeping the error's class. */
function withContext(err: unknown, context: string): unknown {
  if (err instanceof RangeError) return new RangeError(`${context}: ${err.message}`, { cause: err });
  if (err instanceof TypeError) return new TypeError(`${context}: ${err.message}`, { cause: err });
  return err;
}
