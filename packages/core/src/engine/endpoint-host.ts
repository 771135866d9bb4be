import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { DecodeLimits } from "@roomcast/protocol";
import type { WebSocket } from "ws";
import type { Wire } from "../dialect/wire.js";
import type { ServerMetrics } from "../metrics.js";
import type { ServerOptions } from "../server/server-options.js";
import type { UpgradeRejection } from "../transport/upgrade-guard.js";
import type { Engine, EngineConnectionError, ResponseHeaders } from "./engine.js";

/** What a dialect's endpoint needs from the HTTP edge that routes requests to it. */
export interface EndpointHost {
  readonly options: ServerOptions;
  readonly counters: ServerMetrics;
  readonly engine: Engine;
  /** Nesting and namespace limits every dialect's decoder applies. */
  readonly decodeLimits: DecodeLimits | undefined;
  /**
   * Applies `cors` to a plain HTTP request: calls back with the headers to add, or with
   * undefined when the request was answered (a preflight, or an origin refused).
   */
  cors(req: IncomingMessage, res: ServerResponse, next: (headers: ResponseHeaders | undefined) => void): void;
  /** Origin, `allowRequest` and the per-address limit for a new connection over HTTP (a polling handshake). */
  admit(req: IncomingMessage, done: (rejection: UpgradeRejection | undefined) => void): void;
  /** Same for a WebSocket upgrade that opens a connection; `done` gets the open WebSocket. */
  admitUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, done: (ws: WebSocket) => void): void;
  /** A WebSocket upgrade of an existing session: middlewares, then the upgrade, no new slot. */
  upgradeWithMiddlewares(req: IncomingMessage, socket: Duplex, head: Buffer, done: (ws: WebSocket) => void): void;
  /** Answers an upgrade with an HTTP error. */
  rejectUpgrade(socket: Duplex, rejection: UpgradeRejection): void;
  /** A transport is ready: the server makes its Connection. */
  openConnection(wire: Wire, req: IncomingMessage, auth: Record<string, unknown> | undefined, pingFromStart: boolean, id?: string): void;
  /** Headers `io.engine`'s `initial_headers` (when `initial`) and `headers` listeners add to a response; a throwing listener is logged. */
  responseHeaders(req: IncomingMessage, initial: boolean): ResponseHeaders;
  /** Emits `connection_error` on `io.engine`. */
  reportConnectionError(err: EngineConnectionError): void;
}
