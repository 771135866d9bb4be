import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { ErrorCode, Subprotocol, jsonCodec, type DecodeLimits } from "@roomcast/protocol";
import { msgpackCodec } from "@roomcast/protocol/msgpack";
import { RoomcastWire } from "../dialect/roomcast/roomcast-wire.js";
import type { Wire } from "../dialect/wire.js";
import type { ServerMetrics } from "../metrics.js";
import type { ServerOptions } from "../server/server-options.js";
import { TransportWebSocket, WebSocketTransport } from "../transport/websocket-transport.js";
import {
  UpgradeGuard,
  authFromSubprotocols,
  firstSubprotocol,
  negotiateSubprotocol,
  rejectUpgrade,
  requestPath,
  subprotocolRejection,
  type UpgradeRejection,
} from "../transport/upgrade-guard.js";
import type { EdgeServer } from "./edge-server.js";
import type { EndpointHost } from "./endpoint-host.js";
import type { Engine, EngineConnectionError, ResponseHeaders } from "./engine.js";
import { EngineIoEndpoint } from "./engine-io-endpoint.js";
import { requestQuery } from "./request-query.js";
import { engineIoSettings } from "./engine-io-settings.js";
import { HandshakeDeadline } from "./handshake-deadline.js";
import { traceEngine } from "../trace.js";

/**
 * The server's HTTP edge: it owns the `request` and `upgrade` listeners of the HTTP server and
 * routes them to roomcast's own endpoint (`options.path`, WebSocket only) or to the Socket.IO
 * endpoint (`socketio.path`, long-polling and WebSocket). It runs the checks every new connection
 * goes through: CORS and origin, `allowRequest`, the per-address limit, `io.engine.use()`.
 */
export class HttpEndpoint implements EndpointHost {
  readonly guard: UpgradeGuard;
  readonly wss: WebSocketServer;
  readonly engineIo: EngineIoEndpoint | undefined;
  /** Option `handshakeTimeout`: requests to our paths that trickle their headers are cut off. */
  private readonly deadline: HandshakeDeadline;
  /** The HTTP server this edge listens on, if any. */
  httpServer: HttpServer | undefined;
  private ownsHttpServer = false;
  private savedRequestListeners: ((...args: any[]) => void)[] = [];

  constructor(private readonly server: EdgeServer) {
    const options = server.options;
    this.guard = new UpgradeGuard(options);
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: options.maxPayload,
      perMessageDeflate: options.perMessageDeflate,
      WebSocket: TransportWebSocket,
      // roomcast clients get their codec (onUpgrade refused offers without one); Socket.IO
      // clients rarely offer any, and one that does gets its first, as from Engine.IO.
      handleProtocols: (offered, req) => (this.engineIo?.matches(requestPath(req.url)) ? firstSubprotocol(offered) : negotiateSubprotocol(offered)),
    });
    // ws emits server-level errors for failed handshakes; the socket is already answered.
    this.wss.on("error", () => {});
    this.wss.on("headers", (lines: string[], req: IncomingMessage) => {
      const initial = !new URLSearchParams(req.url?.split("?")[1] ?? "").has("sid");
      const headers = this.responseHeaders(req, initial);
      for (const name of Object.keys(headers)) {
        const value = headers[name];
        for (const item of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${item}`);
      }
    });
    const settings = engineIoSettings(options);
    this.engineIo = settings && new EngineIoEndpoint(this, settings);
    // the paths onRequest and onUpgrade route to us (EngineIoEndpoint#matches: with or without the slash)
    const paths = settings ? [options.path, settings.path, settings.path.slice(0, -1)] : [options.path];
    this.deadline = new HandshakeDeadline(options.handshakeTimeout, paths, () => this.counters.handshakeTimeouts++);
  }

  get options(): ServerOptions {
    return this.server.options;
  }

  get counters(): ServerMetrics {
    return this.server.counters;
  }

  get engine(): Engine {
    return this.server.engine;
  }

  get decodeLimits(): DecodeLimits | undefined {
    return undefined;
  }

  // ---- binding ----

  /** Attaches to an HTTP server, or creates one listening on `port`. */
  attach(srv: HttpServer | number): void {
    if (this.httpServer) throw new Error("this server is already attached");
    if (typeof srv === "number") {
      const server = createServer();
      this.ownsHttpServer = true;
      this.bind(server);
      server.listen(srv);
      return;
    }
    this.bind(srv);
  }

  private bind(server: HttpServer): void {
    this.httpServer = server;
    this.deadline.watch(server, this.ownsHttpServer);
    server.on("upgrade", this.onUpgrade);
    // Requests to our paths are ours; everything else goes to the listeners already there.
    this.savedRequestListeners = server.listeners("request") as ((...args: any[]) => void)[];
    server.removeAllListeners("request");
    server.on("request", this.onRequest);
  }

  /** Gives the HTTP server back its own listeners. */
  unbind(): void {
    const server = this.httpServer;
    if (server === undefined) return;
    server.off("upgrade", this.onUpgrade);
    this.deadline.unwatch();
    server.off("request", this.onRequest);
    for (const listener of this.savedRequestListeners) server.on("request", listener);
    this.savedRequestListeners = [];
  }

  close(): void {
    this.engineIo?.closeAll();
    this.wss.close();
  }

  // ---- routing ----

  private readonly onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    this.deadline.settle(req.socket);
    // While closing, each answer ends its connection: nothing keeps the HTTP server from closing.
    if (this.server.isClosing) res.shouldKeepAlive = false;
    const path = requestPath(req.url);
    if (this.engineIo?.matches(path)) {
      // Only new sessions are refused: an open one still takes its close packet with a GET, or
      // delivers the client's own close in a POST, instead of making close() wait closeTimeout.
      if (this.server.isClosing && !hasSessionId(req.url)) {
        res.writeHead(503, { "Content-Type": "application/json" }).end(JSON.stringify({ code: ErrorCode.SERVER_CLOSED, message: "server is closing" }));
        return;
      }
      this.engineIo.handleRequest(req, res);
      return;
    }
    if (path === this.options.path) {
      const body = JSON.stringify({ message: "this endpoint only accepts WebSocket upgrades" });
      res.writeHead(426, { "Content-Type": "application/json", Upgrade: "websocket", Connection: "Upgrade" });
      res.end(body);
      return;
    }
    if (this.savedRequestListeners.length === 0) {
      res.writeHead(404).end();
      return;
    }
    for (const listener of this.savedRequestListeners) listener.call(this.httpServer, req, res);
  };

  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    this.deadline.settle(socket);
    const path = requestPath(req.url);
    const ours = path === this.options.path || this.engineIo?.matches(path) === true;
    if (!ours) {
      this.unclaimedUpgrade(socket);
      return;
    }
    socket.on("error", destroyOnError);
    if (this.server.isClosing) {
      rejectUpgrade(socket, { status: 503, code: ErrorCode.SERVER_CLOSED, message: "server is closing" });
      return;
    }
    if (path === this.options.path) {
      const refusal = subprotocolRejection(req.headers["sec-websocket-protocol"]);
      if (refusal !== undefined) {
        this.counters.upgradesRejected++;
        this.reportConnectionError({ req, code: 3, message: "Bad request", context: { code: refusal.code, message: refusal.message } });
        rejectUpgrade(socket, refusal);
        return;
      }
      this.admitUpgrade(req, socket, head, (ws) => this.openNative(ws, req));
      return;
    }
    this.engineIo?.handleUpgrade(req, socket, head);
  };

  /**
   * Someone else's upgrade. On a server we created nobody else can be listening: destroy it now.
   * On an app's server another listener may take it; if none did within `destroyUpgradeTimeout`
   * ms, it is destroyed, as Socket.IO does, so a client pointed at a wrong path fails fast.
   */
  private unclaimedUpgrade(socket: Duplex): void {
    if (this.ownsHttpServer) {
      socket.destroy();
      return;
    }
    if (!this.options.destroyUpgrade) return;
    const timer = setTimeout(() => {
      // Another listener that answered (wrote anything) owns the socket now.
      if (!socket.writable || ((socket as Duplex & { bytesWritten?: number }).bytesWritten ?? 0) > 0) return;
      socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", () => socket.destroy());
    }, this.options.destroyUpgradeTimeout);
    timer.unref();
    socket.once("close", () => clearTimeout(timer));
  }

  private openNative(ws: WebSocket, req: IncomingMessage): void {
    const codec = ws.protocol === Subprotocol.MSGPACK ? msgpackCodec : jsonCodec;
    const auth = authFromSubprotocols(req.headers["sec-websocket-protocol"]);
    this.server.openConnection(new RoomcastWire(new WebSocketTransport(ws), codec), req, auth, false);
  }

  // ---- EndpointHost ----

  cors(req: IncomingMessage, res: ServerResponse, next: (headers: ResponseHeaders | undefined) => void): void {
    // The guard's policy: one per server, the same decision as for WebSocket upgrades.
    this.guard.cors.handle(req, res, next);
  }

  admit(req: IncomingMessage, done: (rejection: UpgradeRejection | undefined) => void): void {
    this.guard.check(req, (rejection) => {
      if (rejection !== undefined) {
        done(rejection);
        return;
      }
      if (this.server.isClosing) {
        this.guard.release(req.socket.remoteAddress);
        done({ status: 503, code: ErrorCode.SERVER_CLOSED, message: "server is closing" });
        return;
      }
      done(undefined);
    });
  }

  admitUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, done: (ws: WebSocket) => void): void {
    this.guard.check(req, (rejection) => {
      if (rejection) {
        this.counters.upgradesRejected++;
        this.reportConnectionError({ req, code: 4, message: "Forbidden", context: { code: rejection.code, message: rejection.message } });
        rejectUpgrade(socket, rejection);
        return;
      }
      const address = req.socket.remoteAddress;
      if (socket.destroyed || this.server.isClosing) {
        this.guard.release(address);
        socket.destroy();
        return;
      }
      let accepted = false;
      if (this.options.maxConnectionsPerIp > 0) {
        // ws answers a malformed handshake itself and never calls back: free the slot then.
        socket.once("close", () => {
          if (!accepted) this.guard.release(address);
        });
      }
      this.upgradeWithMiddlewares(req, socket, head, (ws) => {
        accepted = true;
        done(ws);
      });
    });
  }

  upgradeWithMiddlewares(req: IncomingMessage, socket: Duplex, head: Buffer, done: (ws: WebSocket) => void): void {
    const upgrade = (): void => {
      if (socket.destroyed) return;
      socket.off("error", destroyOnError);
      this.wss.handleUpgrade(req, socket, head, done);
    };
    const engine = this.engine;
    if (!engine.hasMiddlewares) {
      upgrade();
      return;
    }
    requestQuery(req);
    engine.runMiddlewares(req, undefined, (err) => {
      if (err === undefined) {
        upgrade();
        return;
      }
      this.counters.upgradesRejected++;
      // The middleware's own message stays on the server (connection_error): it may say more than a client should read.
      const message = err instanceof Error ? err.message : String(err);
      this.reportConnectionError({ req, code: 3, message: "Bad request", context: { code: ErrorCode.BAD_REQUEST, name: "MIDDLEWARE_FAILURE", message } });
      // 400 "Bad request", as Engine.IO answers a failed middleware, on both endpoints and transports.
      rejectUpgrade(socket, { status: 400, code: ErrorCode.BAD_REQUEST, message: "request rejected by an io.engine middleware" });
    });
  }

  rejectUpgrade(socket: Duplex, rejection: UpgradeRejection): void {
    rejectUpgrade(socket, rejection);
  }

  openConnection(wire: Wire, req: IncomingMessage, auth: Record<string, unknown> | undefined, pingFromStart: boolean, id?: string): void {
    this.server.openConnection(wire, req, auth, pingFromStart, id);
  }

  reportConnectionError(err: EngineConnectionError): void {
    if (traceEngine.enabled) traceEngine("handshake from %s refused: %s (%s)", err.req.socket.remoteAddress, err.context.code, err.message);
    try {
      this.engine.emit("connection_error", err);
    } catch (thrown) {
      this.options.logger.error('an io.engine "connection_error" listener threw', thrown);
    }
  }

  responseHeaders(req: IncomingMessage, initial: boolean): ResponseHeaders {
    try {
      return this.engine.collectHeaders(req, initial);
    } catch (err) {
      this.options.logger.error("an io.engine headers listener threw", err);
      return {};
    }
  }
}

/** True when a request names an Engine.IO session (`sid` in its query). */
function hasSessionId(url: string | undefined): boolean {
  const q = url?.indexOf("?") ?? -1;
  return q !== -1 && new URLSearchParams((url as string).slice(q + 1)).has("sid");
}

function destroyOnError(this: Duplex): void {
  this.destroy();
}
