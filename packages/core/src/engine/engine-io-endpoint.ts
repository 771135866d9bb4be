import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { WebSocket } from "ws";
import { CloseCode, ErrorCode } from "@roomcast/protocol";
import { EngineIoWire, type EngineIoWireOptions } from "../dialect/socketio/engine-io-wire.js";
import { SocketIoDecoder } from "../dialect/socketio/socketio-decoder.js";
import { PollingTransport } from "../transport/polling-transport.js";
import { type TransportWebSocket, WebSocketTransport } from "../transport/websocket-transport.js";
import type { EngineIoSettings } from "./engine-io-settings.js";
import type { EndpointHost } from "./endpoint-host.js";
import { requestQuery } from "./request-query.js";
import type { ResponseHeaders } from "./engine.js";

/**
 * Engine.IO v4's HTTP errors (Engine.IO protocol v4, "Handshake"; the codes engine.io's server
 * answers with): the status is always 400, except 403 for a refused request.
 */
export const EngineIoError = {
  UNKNOWN_TRANSPORT: { code: 0, message: "Transport unknown" },
  UNKNOWN_SID: { code: 1, message: "Session ID unknown" },
  BAD_HANDSHAKE_METHOD: { code: 2, message: "Bad handshake method" },
  BAD_REQUEST: { code: 3, message: "Bad request" },
  FORBIDDEN: { code: 4, message: "Forbidden" },
  UNSUPPORTED_PROTOCOL_VERSION: { code: 5, message: "Unsupported protocol version" },
} as const;
type EngineIoErrorEntry = (typeof EngineIoError)[keyof typeof EngineIoError];

/** roomcast's error code for each Engine.IO error, for `connection_error`'s `context.code` (docs/ERRORS.md). */
const ROOMCAST_CODE: Record<EngineIoErrorEntry["code"], ErrorCode> = {
  0: ErrorCode.UNKNOWN_TRANSPORT,
  1: ErrorCode.UNKNOWN_SID,
  2: ErrorCode.BAD_HANDSHAKE_METHOD,
  3: ErrorCode.BAD_REQUEST,
  4: ErrorCode.REQUEST_REJECTED,
  5: ErrorCode.UNSUPPORTED_PROTOCOL_VERSION,
};

interface EngineQuery {
  EIO: string | null;
  transport: string | null;
  sid: string | null;
}

/** The Engine.IO fields of a request's query (see requestQuery for `req._query`). */
function parseQuery(req: IncomingMessage): EngineQuery {
  const query = requestQuery(req);
  return { EIO: query.EIO ?? null, transport: query.transport ?? null, sid: query.sid ?? null };
}

/**
 * The Socket.IO endpoint (`/socket.io/` by default): Engine.IO v4 handshakes over long-polling or
 * WebSocket, polling GETs and POSTs of open sessions, and WebSocket upgrades of polling sessions.
 * Sessions are Connections like any other; this class only holds the `sid` → session map.
 */
export class EngineIoEndpoint {
  private readonly sessions = new Map<string, EngineIoWire>();
  /* One options object for every session (made at the first, once the server's options are final). */
  private sessionOptions: EngineIoWireOptions | undefined;

  constructor(
    private readonly host: EndpointHost,
    private readonly settings: EngineIoSettings,
  ) {}

  private wireOptions(): EngineIoWireOptions {
    return (this.sessionOptions ??= {
      upgradeTimeout: this.settings.upgradeTimeout,
      closeTimeout: this.host.options.closeTimeout,
      onEnded: (wire) => {
        if (this.sessions.get(wire.sid) === wire) this.sessions.delete(wire.sid);
      },
    });
  }

  /** Open Engine.IO sessions. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /** True when `path` (without query) is this endpoint's. */
  matches(path: string): boolean {
    return path === this.settings.path || path === this.settings.path.slice(0, -1);
  }

  // ---- HTTP requests: handshake, GET, POST ----

  handleRequest(req: IncomingMessage, res: ServerResponse): void {
    const host = this.host;
    host.cors(req, res, (corsHeaders) => {
      if (corsHeaders === undefined) return; // answered (a preflight, or a refused origin)
      const query = parseQuery(req);
      const fail = (error: EngineIoErrorEntry, status = 400, context: Record<string, unknown> = {}): void => {
        this.report(req, error, context);
        const body = JSON.stringify(error);
        res.writeHead(status, { ...corsHeaders, "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(body)) });
        res.end(body);
      };
      if (query.EIO !== "4") return fail(EngineIoError.UNSUPPORTED_PROTOCOL_VERSION, 400, { protocol: query.EIO });
      if (query.transport !== "polling" || !this.settings.polling) {
        return fail(EngineIoError.UNKNOWN_TRANSPORT, 400, { transport: query.transport });
      }
      const proceed = (): void => {
        if (query.sid === null) {
          if (req.method !== "GET") return fail(EngineIoError.BAD_HANDSHAKE_METHOD, 400, { method: req.method });
          this.pollingHandshake(req, res, corsHeaders, fail);
          return;
        }
        const wire = this.sessions.get(query.sid);
        if (wire === undefined) return fail(EngineIoError.UNKNOWN_SID, 400, { sid: query.sid });
        const polling = wire.pollingTransport;
        if (polling === undefined) return fail(EngineIoError.BAD_REQUEST, 400, { name: "TRANSPORT_MISMATCH" });
        const headers = { ...corsHeaders, ...this.host.responseHeaders(req, false) };
        if (req.method === "GET") {
          if (wire.upgrading) polling.answerNoop(res, headers);
          else polling.onGet(res, headers);
        } else if (req.method === "POST") {
          polling.onPost(req, res, headers);
        } else {
          fail(EngineIoError.BAD_REQUEST, 400, { method: req.method });
        }
      };
      if (!host.engine.hasMiddlewares) return proceed();
      host.engine.runMiddlewares(req, res, (err) => {
        if (err !== undefined) fail(EngineIoError.BAD_REQUEST, 400, { name: "MIDDLEWARE_FAILURE" });
        else if (!res.headersSent) proceed();
      });
    });
  }

  private pollingHandshake(
    req: IncomingMessage,
    res: ServerResponse,
    corsHeaders: ResponseHeaders,
    fail: (error: EngineIoErrorEntry, status?: number, context?: Record<string, unknown>) => void,
  ): void {
    const sid = this.newSid(req);
    if (sid === undefined) {
      fail(EngineIoError.BAD_REQUEST, 500, { name: "GENERATE_ID_FAILED" });
      return;
    }
    this.host.admit(req, (rejection) => {
      if (rejection !== undefined) {
        fail(EngineIoError.FORBIDDEN, rejection.status === 429 ? 429 : 403, { code: rejection.code, message: rejection.message });
        return;
      }
      const polling = new PollingTransport(this.host.options.maxPayload);
      this.openSession(sid, polling, req);
      const headers = { ...corsHeaders, ...this.host.responseHeaders(req, true) };
      const body = "0" + this.openPacket(sid, this.settings.websocket && this.settings.allowUpgrades);
      res.writeHead(200, { ...headers, "Content-Type": "text/plain; charset=UTF-8", "Content-Length": String(Buffer.byteLength(body)) });
      res.end(body);
    });
  }

  // ---- WebSocket upgrades ----

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const query = parseQuery(req);
    const reject = (error: EngineIoErrorEntry, status = 400, context: Record<string, unknown> = {}): void => {
      this.report(req, error, context);
      this.host.rejectUpgrade(socket, { status, code: ROOMCAST_CODE[error.code], message: error.message });
    };
    if (query.EIO === null && req.headers["sec-websocket-protocol"]?.includes("roomcast.v")) {
      // A roomcast client pointed at this path (a leftover `path: "/socket.io"`): say where it belongs.
      this.report(req, EngineIoError.UNSUPPORTED_PROTOCOL_VERSION, { protocol: null });
      this.host.rejectUpgrade(socket, {
        status: 400,
        code: ErrorCode.UNSUPPORTED_PROTOCOL_VERSION,
        message: `this is the Socket.IO endpoint; roomcast clients connect to ${this.host.options.path}`,
      });
      return;
    }
    if (query.EIO !== "4") return reject(EngineIoError.UNSUPPORTED_PROTOCOL_VERSION, 400, { protocol: query.EIO });
    if (query.transport !== "websocket" || !this.settings.websocket) {
      return reject(EngineIoError.UNKNOWN_TRANSPORT, 400, { transport: query.transport });
    }
    if (query.sid !== null) {
      const wire = this.sessions.get(query.sid);
      if (wire === undefined) return reject(EngineIoError.UNKNOWN_SID, 400, { sid: query.sid });
      if (!this.settings.allowUpgrades) return reject(EngineIoError.BAD_REQUEST, 400, { name: "UPGRADE_REFUSED" });
      if (wire.transportName !== "polling" || wire.upgrading) {
        // One WebSocket per session (Engine.IO v4, "WebSocket"): the server closes the extra one.
        // It is accepted, then closed: a client without an "error" handler throws on a refusal.
        this.report(req, EngineIoError.BAD_REQUEST, { name: "UPGRADE_REFUSED" });
        this.host.upgradeWithMiddlewares(req, socket, head, closeExtraWebSocket);
        return;
      }
      this.host.upgradeWithMiddlewares(req, socket, head, (ws) => {
        // The session may have ended (or started another probe) while the upgrade ran.
        const transport = new WebSocketTransport(ws);
        if (this.sessions.get(query.sid as string) !== wire || !wire.startUpgrade(transport)) closeExtraWebSocket(ws);
      });
      return;
    }
    const sid = this.newSid(req);
    if (sid === undefined) return reject(EngineIoError.BAD_REQUEST, 500, { name: "GENERATE_ID_FAILED" });
    this.host.admitUpgrade(req, socket, head, (ws) => {
      const transport = new WebSocketTransport(ws);
      // The first frame of a WebSocket session is its open packet (Engine.IO v4, "Handshake").
      transport.sendPayload("0" + this.openPacket(sid, false), false, false);
      this.openSession(sid, transport, req);
    });
  }

  private openSession(sid: string, transport: PollingTransport | WebSocketTransport, req: IncomingMessage): EngineIoWire {
    const decoder = new SocketIoDecoder({ limits: this.host.decodeLimits });
    const wire = new EngineIoWire(sid, transport, this.wireOptions(), decoder);
    this.sessions.set(sid, wire);
    this.host.openConnection(wire, req, undefined, true, sid);
    return wire;
  }

  /**
   * A session id from `io.engine.generateId`, checked: a bad or taken one would mix up sessions.
   * Undefined (logged) when the app's function threw or returned an unusable id.
   */
  private newSid(req: IncomingMessage): string | undefined {
    let sid: unknown;
    try {
      sid = this.host.engine.generateId(req);
    } catch (err) {
      this.host.options.logger.error("io.engine.generateId threw", err);
      return undefined;
    }
    if (typeof sid !== "string" || !/^[\w-]{1,64}$/.test(sid) || this.sessions.has(sid)) {
      this.host.options.logger.error(`io.engine.generateId must return a new id of 1 to 64 URL-safe characters; it returned ${JSON.stringify(sid)}`);
      return undefined;
    }
    return sid;
  }

  /** The open packet's JSON: exactly the five fields Engine.IO v4 specifies. */
  private openPacket(sid: string, canUpgrade: boolean): string {
    const options = this.host.options;
    return JSON.stringify({
      sid,
      upgrades: canUpgrade ? ["websocket"] : [],
      pingInterval: options.pingInterval,
      pingTimeout: options.pingTimeout,
      maxPayload: options.maxPayload,
    });
  }

  private report(req: IncomingMessage, error: EngineIoErrorEntry, context: Record<string, unknown>): void {
    this.host.counters.upgradesRejected++;
    this.host.reportConnectionError({
      req,
      code: error.code,
      message: error.message,
      context: { ...context, code: (context.code as string | undefined) ?? ROOMCAST_CODE[error.code] },
    });
  }

  /** Closes every session (the server is shutting down). */
  closeAll(): void {
    for (const wire of [...this.sessions.values()]) wire.terminate();
    this.sessions.clear();
  }
}

/**
 * Closes a WebSocket opened with the sid of a session that cannot take it: one that already has
 * a WebSocket or is probing another, or one that ended while the upgrade ran.
 */
function closeExtraWebSocket(ws: WebSocket): void {
  const transport = (ws as TransportWebSocket).transport ?? new WebSocketTransport(ws);
  transport.close(CloseCode.POLICY_VIOLATION, "this session takes no WebSocket");
}
