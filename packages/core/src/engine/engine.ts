import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { type IncomingMessage, ServerResponse } from "node:http";
import type { Connection } from "../connection/connection.js";

/**
 * A Connect/Express middleware, as `io.engine.use()` takes it (express-session, passport, helmet...).
 * `Req` and `Res` let a middleware typed for a framework's own request (Express's `Request`) be
 * passed as it is; at run time it gets Node's request and response.
 */
export type EngineMiddleware<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse = ServerResponse> = (
  req: Req,
  res: Res,
  next: (err?: unknown) => void,
) => void;

/** Headers an `initial_headers` or `headers` listener may add to a response, by name. */
export type ResponseHeaders = Record<string, string | string[]>;

/**
 * What `io.engine` emits on "connection_error": the request, Engine.IO's numeric code and
 * message (0 unknown transport, 1 unknown session id, 2 bad handshake method, 3 bad request,
 * 4 forbidden, 5 unsupported protocol version), and roomcast's own error code in `context.code`.
 */
export interface EngineConnectionError {
  req: IncomingMessage;
  code: number;
  message: string;
  context: { code: string; [key: string]: unknown };
}

/** Events of `io.engine`, named as Engine.IO names them. */
export interface EngineEvents {
  /** A handshake or upgrade was refused. */
  connection_error: [err: EngineConnectionError];
  /** The first response of a connection (the handshake) is about to be written: add headers (a cookie). */
  initial_headers: [headers: ResponseHeaders, req: IncomingMessage];
  /** Any response (handshake, polling request, WebSocket upgrade) is about to be written. */
  headers: [headers: ResponseHeaders, req: IncomingMessage];
  /** A connection opened, of either dialect, before it joins a namespace. */
  connection: [conn: Connection];
}

/**
 * `io.engine`: the layer that accepts connections before they reach namespaces, with the parts
 * of Engine.IO's server that Socket.IO apps use (Socket.IO 4.x docs, "Server API > engine"):
 * Connect middlewares that run on every handshake, polling request and upgrade (the documented
 * way to share an express-session or a passport login with sockets), the `connection_error`,
 * `initial_headers` and `headers` events, and `clientsCount`.
 */
export class Engine extends EventEmitter<EngineEvents> {
  private readonly middlewares: EngineMiddleware[] = [];
  /**
   * Makes the session id (`sid`) of a new Socket.IO-endpoint connection, as Engine.IO's
   * `generateId`: replace it to use your own ids (they must be unique; at most 64 URL-safe
   * characters are expected). Default: 20 random base64url characters.
   */
  generateId: (req: IncomingMessage) => string = () => randomBytes(15).toString("base64url");

  constructor(private readonly countClients: () => number) {
    super();
  }

  /** Open connections of this server, of both dialects and every transport. */
  get clientsCount(): number {
    return this.countClients();
  }

  /**
   * Adds a Connect middleware. It runs for every request that opens or carries a connection:
   * the WebSocket upgrade (with a response object that writes nowhere, as in Engine.IO), and
   * each long-polling request. What it sets on `req` (`req.session`, `req.user`) is then on
   * `socket.request`.
   *
   * @throws TypeError when `fn` is not a function
   */
  use<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse = ServerResponse>(fn: EngineMiddleware<Req, Res>): this {
    if (typeof fn !== "function") throw new TypeError("io.engine.use() takes a function (req, res, next)");
    this.middlewares.push(fn as unknown as EngineMiddleware);
    return this;
  }

  /** True when some middleware was added (requests skip the chain otherwise). */
  get hasMiddlewares(): boolean {
    return this.middlewares.length > 0;
  }

  /**
   * Runs the middlewares in order; `done(err)` with the first error (a throw counts), or with
   * nothing once all called `next()`. `res` defaults to a response that writes nowhere.
   */
  runMiddlewares(req: IncomingMessage, res: ServerResponse | undefined, done: (err?: unknown) => void): void {
    const response = res ?? new ServerResponse(req);
    const middlewares = this.middlewares;
    let index = 0;
    const next = (err?: unknown): void => {
      if (err !== undefined && err !== null) {
        done(err);
        return;
      }
      const fn = middlewares[index++];
      if (fn === undefined) {
        done();
        return;
      }
      try {
        fn(req, response, next);
      } catch (thrown) {
        done(thrown ?? new Error("middleware threw"));
      }
    };
    next();
  }

  /** Lets listeners add headers to a response: `initial_headers` first for a handshake, then `headers`. */
  collectHeaders(req: IncomingMessage, initial: boolean): ResponseHeaders {
    const headers: ResponseHeaders = {};
    if (initial) this.emit("initial_headers", headers, req);
    this.emit("headers", headers, req);
    return headers;
  }
}
