import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import { isPlainObject, optionTypeError, urlPath } from "./option-checks.js";

/**
 * Why a server is not ready, or not live:
 * - `"server closing"`: `io.close()` is draining connections (they reconnect elsewhere);
 * - `"server closed"`: `io.close()` has finished;
 * - `"not listening"`: the HTTP server is not attached or not listening (yet);
 * - `"cluster transport disconnected"`: the cluster adapter's transport (the Redis adapter's
 *   publisher or subscriber connection) is down, so broadcasts would not reach the other nodes.
 */
export type HealthReason = "server closing" | "server closed" | "not listening" | "cluster transport disconnected";

/** What `io.health()` answers. */
export interface HealthReport {
  /**
   * False only once `io.close()` has finished: this server will not accept connections again.
   * A liveness probe that sees false should restart the process; while draining it stays true,
   * so a node is never killed halfway through its shutdown.
   */
  live: boolean;
  /** True when a load balancer should send new connections here: live, listening, not draining, cluster transport up. */
  ready: boolean;
  /** Why it is not ready (or not live); empty when ready. */
  reasons: HealthReason[];
}

/** What a health check reads of a server. */
export interface HealthSubject {
  /** True once `close()` began. */
  readonly isClosing: boolean;
  /** True once `close()` finished. */
  readonly isClosed: boolean;
  readonly httpServer: HttpServer | undefined;
  /** The main namespace, whose adapter carries the cluster transport every namespace shares. */
  readonly sockets: { readonly adapter: object };
}

/**
 * Reads whether the cluster transport is connected: a cluster adapter's `metrics.transport`
 * holds the transport's counters, and a transport that can be down reports `connected` (1 or 0)
 * there (the Redis adapter does). Adapters without it (in-memory, in-process) are always up.
 */
function transportDown(adapter: object): boolean {
  const metrics = (adapter as { metrics?: { transport?: Readonly<Record<string, number>> } }).metrics;
  return metrics?.transport?.connected === 0;
}

/** The health of `server` now; see HealthReport. */
export function checkHealth(server: HealthSubject): HealthReport {
  const reasons: HealthReason[] = [];
  const closed = server.isClosed;
  if (closed) reasons.push("server closed");
  else if (server.isClosing) reasons.push("server closing");
  if (!closed && server.httpServer?.listening !== true) reasons.push("not listening");
  if (!closed && transportDown(server.sockets.adapter)) reasons.push("cluster transport disconnected");
  return { live: !closed, ready: reasons.length === 0, reasons };
}

/** Options of `createHealthHandler`. */
export interface HealthHandlerOptions {
  /** Path of the liveness check: 200 while live, 503 once closed. Default "/healthz". */
  livePath?: string;
  /** Path of the readiness check: 200 while ready, 503 otherwise. Default "/readyz". */
  readyPath?: string;
}

/**
 * Answers a liveness or readiness request and returns true, or returns false (after calling
 * `next()` when given) for any other path. Fits `http.createServer` and Connect/Express alike.
 */
export type HealthHandler = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => boolean;

function checkHandlerOptions(options: unknown): void {
  if (!isPlainObject(options)) throw optionTypeError("options", "an object", options);
  for (const [key, value] of Object.entries(options)) {
    if (key !== "livePath" && key !== "readyPath") {
      throw new TypeError(`unknown option "${key}" of createHealthHandler; it accepts "livePath", "readyPath"`);
    }
    if (value !== undefined) urlPath(value, key);
  }
}

/**
 * An HTTP handler for load balancers and orchestrators: GET or HEAD on `livePath` ("/healthz")
 * answers 200 while the server is live, on `readyPath` ("/readyz") 200 while it is ready, and
 * 503 otherwise; the body is the HealthReport as JSON, never cached. Other methods get 405.
 *
 * @throws TypeError for an unknown option or a path that does not start with "/"
 *
 * @example
 * const health = createHealthHandler(io);
 * const httpServer = createServer((req, res) => { if (!health(req, res)) app(req, res); });
 * // or, with Express: app.use(createHealthHandler(io));
 */
export function createHealthHandler(io: { health(): HealthReport }, options: HealthHandlerOptions = {}): HealthHandler {
  checkHandlerOptions(options);
  const livePath = options.livePath ?? "/healthz";
  const readyPath = options.readyPath ?? "/readyz";
  if (livePath === readyPath) throw new TypeError(`options "livePath" and "readyPath" must differ; both are "${livePath}"`);
  return (req, res, next) => {
    const url = req.url ?? "/";
    const query = url.indexOf("?");
    const path = query === -1 ? url : url.slice(0, query);
    const live = path === livePath;
    if (!live && path !== readyPath) {
      next?.();
      return false;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return true;
    }
    const report = io.health();
    const body = JSON.stringify(report);
    const status = (live ? report.live : report.ready) ? 200 : 503;
    res.writeHead(status, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
      "cache-control": "no-store",
    });
    res.end(req.method === "HEAD" ? undefined : body);
    return true;
  };
}
