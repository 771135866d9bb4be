import type { IncomingMessage } from "node:http";
import type { AdapterConstructor } from "../broadcast/adapter.js";
import { Adapter } from "../broadcast/adapter.js";
import { DEFAULT_MAX_DISCONNECTION_DURATION } from "../recovery/defaults.js";
import type { ConnectionStateRecoveryOptions } from "../recovery/recovery-store.js";
import type { HandledEmitsOptions } from "../acks/handled-emits.js";
import type { RateLimitOptions } from "../connection/rate-limiter.js";
import type { ShutdownOptions } from "./shutdown.js";
import { resolveCors, type AllowedOrigins, type CorsOptions, type CorsOptionsDelegate, type CorsSetting } from "./cors-options.js";
import { isPlainObject } from "./option-checks.js";
import { OPTION_TABLE, unknownOptionError } from "./option-table.js";
import {
  DEFAULT_UPGRADE_TIMEOUT,
  NATIVE_TRANSPORTS,
  resolveSocketIo,
  type SocketIoEndpoint,
  type SocketIoOptions,
  type TransportName,
} from "./socketio-options.js";

export type { AllowedOrigins } from "./cors-options.js";

/** Where the server reports errors nobody listens for (a handler that threw, a bad peer). */
export interface Logger {
  warn(message: string, error?: unknown): void;
  error(message: string, error?: unknown): void;
}

/**
 * What the client reads in CONNECT_ERROR when a connection middleware refuses it:
 * - "next": an error passed to `next(err)` as it is (message and data, as Socket.IO sends it);
 *   an exception the middleware throws, or the rejection of an async one, as "middleware error";
 * - "all": exceptions as they are too;
 * - "none": "middleware error" for every refusal.
 */
export type MiddlewareErrorExposure = "next" | "all" | "none";

/** `allowRequest` answers through `callback(err, ok)`: an error message and/or false reject the upgrade. */
export type AllowRequest = (req: IncomingMessage, callback: (err: string | null | undefined, ok: boolean) => void) => void;

export interface ServerOptions {
  /** Path of roomcast's own endpoint (matched exactly); socket.io-clients use `socketio.path`. */
  path: string;
  /** Milliseconds between server heartbeats. */
  pingInterval: number;
  /** Milliseconds without any inbound frame after a heartbeat before the connection closes with 4001. */
  pingTimeout: number;
  /** Milliseconds a new connection has to join its first namespace before it closes with 4002. */
  connectTimeout: number;
  /** Largest inbound message in bytes; a bigger one closes that connection with 1009. */
  maxPayload: number;
  /** Socket.IO's name for `maxPayload` (input only: `resolveOptions` folds it into `maxPayload`). */
  maxHttpBufferSize?: number;
  /** permessage-deflate: `true`, `false` or ws's options object. */
  perMessageDeflate: boolean | Record<string, unknown>;
  /** Decides whether an upgrade may proceed; rejection answers 403 ERR_REQUEST_REJECTED. */
  allowRequest: AllowRequest | undefined;
  /**
   * Which origins may connect, with Socket.IO's semantics (the `cors` package's options, or a
   * delegate `(req, callback)`). Unset: every origin, and no CORS headers. Set: a WebSocket
   * upgrade from a refused `Origin` is answered 403 ERR_ORIGIN_REJECTED, and long-polling
   * responses carry the Access-Control-* headers (see transport/cors-policy.ts).
   */
  cors: CorsSetting | undefined;
  /**
   * roomcast's name for `cors.origin` (input only: `resolveOptions` folds it into `cors`). A list
   * lets requests without `Origin` (not browsers) through; a predicate decides for them too.
   */
  allowedOrigins?: AllowedOrigins;
  /**
   * Refuse requests without `Origin` (403 ERR_ORIGIN_REJECTED) instead of letting them past the
   * origin check. Needs `cors` or `allowedOrigins`.
   */
  requireOrigin: boolean;
  /**
   * Milliseconds an HTTP request to either endpoint has, from its first byte, to complete its
   * headers; later it is answered 408 and closed. 0: no limit but Node's own `headersTimeout`.
   */
  handshakeTimeout: number;
  /** Which middleware errors reach the client as they are (see MiddlewareErrorExposure). */
  exposeMiddlewareErrors: MiddlewareErrorExposure;
  /**
   * The Socket.IO endpoint (Engine.IO v4 + Socket.IO v5) for unmodified socket.io-clients, or
   * false. Input: `true` or `{ path?, polling? }`; resolved: its path (ending with "/") and
   * whether it serves long-polling.
   */
  socketio: false | SocketIoEndpoint;
  /**
   * Transports served (Engine.IO's option): ["websocket"] without `socketio` (roomcast's own
   * endpoint is WebSocket only); with it, those of the Socket.IO endpoint, by default
   * ["polling", "websocket"].
   */
  transports: readonly TransportName[];
  /** Whether a long-polling session of the Socket.IO endpoint may upgrade to WebSocket. */
  allowUpgrades: boolean;
  /** Milliseconds a probe WebSocket has to complete an upgrade from long-polling. */
  upgradeTimeout: number;
  /**
   * On an HTTP server the app owns: end an upgrade request for a path nobody serves once
   * `destroyUpgradeTimeout` ms passed without anyone answering it (Engine.IO's attach option).
   */
  destroyUpgrade: boolean;
  /** Milliseconds an unanswered upgrade for another path may wait before `destroyUpgrade` ends it. */
  destroyUpgradeTimeout: number;
  /**
   * Remove a child of a dynamic namespace (`io.of(/re/)`, `io.of(fn)`) when its last socket
   * leaves: its adapter is closed and the next CONNECT to that name creates it anew.
   */
  cleanupEmptyChildNamespaces: boolean;
  /** Open connections per remote address; 0 means unlimited. */
  maxConnectionsPerIp: number;
  /** Namespaces one connection may join; beyond, CONNECT_ERROR ERR_TOO_MANY_NAMESPACES. */
  maxNamespacesPerConnection: number;
  /** Rooms one socket may be in (its own id room included); beyond, `join` throws ERR_TOO_MANY_ROOMS. */
  maxRoomsPerSocket: number;
  /** Acks one socket may wait for at once; beyond, the emit fails with ERR_TOO_MANY_PENDING_ACKS. */
  maxPendingAcks: number;
  /**
   * Bytes a connection whose reader has stopped taking data may fall behind before it is closed
   * with 4000 (slow consumer); a reader still taking data may hold up to 8 times this during a
   * burst (docs/ERRORS.md, "Slow consumers").
   */
  maxBufferedBytes: number;
  /** Pending outbound bytes above which volatile packets are dropped for that connection. */
  volatileHighWaterMark: number;
  /** Milliseconds `close()` waits for peers to answer the close handshake before cutting them off. */
  closeTimeout: number;
  /** Incoming events per connection (token bucket); `undefined` means no limit. */
  rateLimit: RateLimitOptions | undefined;
  /** How `close()` drains connections: `batchSize` at a time, `batchIntervalMs` apart. */
  shutdown: ShutdownOptions;
  /** Adapter class instantiated once per namespace. */
  adapter: AdapterConstructor;
  /** Receives errors that have no listener. */
  logger: Logger;
  /**
   * Connection-state recovery: a client that drops and comes back within
   * `maxDisconnectionDuration` keeps its id, rooms and data and gets what it missed. Unset: off.
   */
  connectionStateRecovery: ConnectionStateRecoveryOptions | undefined;
  /**
   * What each socket remembers of the emits a client sent with an id (EVENT_ONCE, sent by
   * `@roomcast/client` for emits with `retries`), so that their handlers run once: `maxIds` ids,
   * each for `maxAge` ms, runs that answer within `maxRunTime` ms, replies of up to
   * `maxReplyBytes`. With `connectionStateRecovery` the window is part of the recovery session
   * and survives a reconnect.
   */
  handledEmits: HandledEmitsOptions;
}

const consoleLogger: Logger = {
  warn: (message, error) => console.warn(`[roomcast] ${message}`, error ?? ""),
  error: (message, error) => console.error(`[roomcast] ${message}`, error ?? ""),
};

export const DEFAULT_OPTIONS: Readonly<ServerOptions> = {
  /* a name of our own, so Socket.IO ("/socket.io") can run side by side during a migration */
  path: "/roomcast",
  /* Socket.IO's value: frequent enough for proxies with 30-60 s idle timeouts */
  pingInterval: 25_000,
  /* Socket.IO's value: tolerates a busy event loop or a slow mobile link */
  pingTimeout: 20_000,
  /* Socket.IO's value: a client sends CONNECT right after the upgrade, this only reaps stuck peers */
  connectTimeout: 45_000,
  /* Socket.IO's maxHttpBufferSize: 1 MB bounds the memory one message can take */
  maxPayload: 1e6,
  /* off: deflate costs CPU and per-connection memory, and rules out sharing frame bytes */
  perMessageDeflate: false,
  /* unset: every upgrade that passes the origin check proceeds */
  allowRequest: undefined,
  /* unset: every origin and no CORS headers, as Socket.IO does without its cors option */
  cors: undefined,
  /* off: non-browser clients send no Origin, and an allowlist is there to stop other sites' pages */
  requireOrigin: false,
  /* a real client sends its request in one packet; more time only helps a peer that trickles
     headers to hold a socket (Node's own headersTimeout waits 60 s) */
  handshakeTimeout: 10_000,
  /* deliberate refusals keep Socket.IO's behaviour; a bug's message ("Cannot read properties of
     undefined…") stays in the logger instead of going to every client */
  exposeMiddlewareErrors: "next",
  /* off: roomcast's own protocol only; the Socket.IO endpoint is opted into for a migration */
  socketio: false,
  /* what is served: WebSocket only without `socketio`; with it, Engine.IO's ["polling", "websocket"]
     (long-polling first, since it passes every proxy, then the upgrade) unless narrowed */
  transports: NATIVE_TRANSPORTS,
  /* Engine.IO's: a polling session moves to WebSocket as soon as the probe succeeds */
  allowUpgrades: true,
  /* Engine.IO's: 10 s for the probe, enough for a slow mobile link */
  upgradeTimeout: DEFAULT_UPGRADE_TIMEOUT,
  /* Engine.IO's: an upgrade nobody answers would otherwise hold its socket open forever */
  destroyUpgrade: true,
  /* Engine.IO's: 1 s leaves another upgrade listener of the app time to answer */
  destroyUpgradeTimeout: 1000,
  /* Socket.IO's: off, so a child namespace's listeners and state survive its last socket */
  cleanupEmptyChildNamespaces: false,
  /* unlimited: behind a load balancer every peer has the balancer's address */
  maxConnectionsPerIp: 0,
  /* generous for real apps (a few namespaces each), small enough to bound per-connection state */
  maxNamespacesPerConnection: 32,
  /* far above real use, low enough that one socket cannot grow the room index without bound */
  maxRoomsPerSocket: 1000,
  /* a client that never acks cannot make the server hold unbounded callbacks */
  maxPendingAcks: 1000,
  /* 1 MiB: a peer that reads slower than we write is cut off before it costs real memory */
  maxBufferedBytes: 1024 * 1024,
  /* 64 KiB backpressure: past this a volatile packet (a live position, a typing hint) is stale anyway */
  volatileHighWaterMark: 64 * 1024,
  /* long enough for a healthy peer's close frame, short enough for a quick restart */
  closeTimeout: 2000,
  /* off: a useful rate depends on the app (a 60 Hz game vs a chat); maxPayload and
     maxBufferedBytes already bound memory, so the limit is opted into with the app's numbers */
  rateLimit: undefined,
  /* 500 every 100 ms drains 10k connections in 2 s, so the other nodes see a ramp, not a wall */
  shutdown: { batchSize: 500, batchIntervalMs: 100 },
  /* in memory: a single node needs nothing else */
  adapter: Adapter,
  /* console: an error nobody listens for must still be seen */
  logger: consoleLogger,
  /* off: it stamps and keeps every packet sent to rooms, which costs memory (docs/RECOVERY.md) */
  connectionStateRecovery: undefined,
  /* @roomcast/client has one emit in flight per socket, so 32 ids leave room for clients that
     pipeline; 5 minutes outlast a 2-minute disconnection plus the client's retries; a handler
     that has not answered a waiting client in a minute has most likely lost its ack, and holding
     its id longer only blocks the socket's later emits; 1 KiB holds a typical `{ ok, id }` reply
     while 32 of them stay small next to a connection's buffers */
  handledEmits: { maxIds: 32, maxAge: 300_000, maxRunTime: 60_000, maxReplyBytes: 1024 },
};

/**
 * What `new Server(srv, options)` accepts: every ServerOptions field, Socket.IO's names for them
 * (`maxHttpBufferSize`, `cors: true`, `socketio: true`), and Socket.IO options given the one value
 * that states what roomcast does anyway.
 */
export interface ServerOptionsInput extends Partial<Omit<ServerOptions, "cors" | "socketio" | "shutdown" | "handledEmits">> {
  /** Either field may be left out: it keeps its default. */
  shutdown?: Partial<ShutdownOptions>;
  /** Any field may be left out: it keeps its default. */
  handledEmits?: Partial<HandledEmitsOptions>;
  /** `true` is `{}` (every origin, answered with `*`); `false` is off. */
  cors?: boolean | CorsOptions | CorsOptionsDelegate;
  /** `true` is `{ path: "/socket.io/", polling: true }`; `false` (the default) is off. */
  socketio?: boolean | SocketIoOptions;
  serveClient?: false;
  allowEIO3?: false;
  httpCompression?: false;
  cookie?: false;
  addTrailingSlash?: boolean;
}

/**
 * Checks every given option and merges them over the defaults. Options set to `undefined` count
 * as not given.
 *
 * @throws TypeError naming the option: an unknown option (with the nearest known name), a
 *   Socket.IO option roomcast does not support (with what to use instead), a value of the wrong
 *   type or range (with the expected type), or options that contradict each other
 *   (`maxPayload` and `maxHttpBufferSize` differing, `cors` and `allowedOrigins` both set,
 *   `requireOrigin` without either, `handledEmits.maxRunTime` above `handledEmits.maxAge`…).
 * @throws RangeError for a `rateLimit` out of range (as documented in docs/ERRORS.md).
 */
export function resolveOptions(options: ServerOptionsInput = {}): ServerOptions {
  if (!isPlainObject(options as unknown)) throw new TypeError("the server options must be an object");
  const given: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const rule = Object.hasOwn(OPTION_TABLE, key) ? OPTION_TABLE[key] : undefined;
    if (rule === undefined) throw unknownOptionError(key);
    rule.check(value, key);
    given[key] = value;
  }
  const resolved: ServerOptions = { ...DEFAULT_OPTIONS };
  for (const key of Object.keys(DEFAULT_OPTIONS) as (keyof ServerOptions)[]) {
    if (given[key] !== undefined) (resolved as unknown as Record<string, unknown>)[key] = given[key];
  }
  // A partial `shutdown` keeps the other default rather than leaving it undefined.
  if (options.shutdown !== undefined) {
    const { batchSize, batchIntervalMs } = options.shutdown;
    resolved.shutdown = { batchSize: batchSize ?? DEFAULT_OPTIONS.shutdown.batchSize, batchIntervalMs: batchIntervalMs ?? DEFAULT_OPTIONS.shutdown.batchIntervalMs };
  }
  if (options.handledEmits !== undefined) resolved.handledEmits = resolveHandledEmits(options.handledEmits);
  const { maxPayload, maxHttpBufferSize } = options;
  if (maxHttpBufferSize !== undefined) {
    if (maxPayload !== undefined && maxPayload !== maxHttpBufferSize) {
      throw new TypeError('options "maxPayload" and "maxHttpBufferSize" are the same limit and differ: give one');
    }
    resolved.maxPayload = maxHttpBufferSize;
  }
  resolved.cors = resolveCors(options.cors, options.allowedOrigins);
  if (resolved.requireOrigin && resolved.cors === undefined) {
    throw new TypeError('option "requireOrigin" refuses requests without Origin to an origin allowlist: give "cors" or "allowedOrigins" too');
  }
  Object.assign(resolved, resolveSocketIo({ ...options, path: resolved.path }));
  return resolved;
}

/** A partial `handledEmits` over the defaults; a `maxRunTime` left out never exceeds `maxAge`. */
function resolveHandledEmits(given: Partial<HandledEmitsOptions>): HandledEmitsOptions {
  const defaults = DEFAULT_OPTIONS.handledEmits;
  const maxAge = given.maxAge ?? defaults.maxAge;
  const maxRunTime = given.maxRunTime ?? Math.min(defaults.maxRunTime, maxAge);
  if (maxRunTime > maxAge) {
    throw new TypeError(`option "handledEmits.maxRunTime" (${maxRunTime} ms) exceeds "handledEmits.maxAge" (${maxAge} ms): a run cannot outlast the id it runs for; lower maxRunTime or raise maxAge`);
  }
  return { maxIds: given.maxIds ?? defaults.maxIds, maxAge, maxRunTime, maxReplyBytes: given.maxReplyBytes ?? defaults.maxReplyBytes };
}

/**
 * Options that work but weaken what the docs promise: each gets one warning through the server's
 * `logger` when the server is built (they depend on the clients' settings too, so they are not
 * refused).
 */
export function optionWarnings(options: ServerOptions): string[] {
  const warnings: string[] = [];
  const recovery = options.connectionStateRecovery;
  if (recovery !== undefined) {
    const { maxAge } = options.handledEmits;
    const away = recovery.maxDisconnectionDuration ?? DEFAULT_MAX_DISCONNECTION_DURATION;
    if (maxAge < away) {
      warnings.push(
        `handledEmits.maxAge (${maxAge} ms) is below connectionStateRecovery.maxDisconnectionDuration (${away} ms): a client away longer than maxAge resumes its session without the ids of its emits, and a resend then runs the handler again; keep maxAge above maxDisconnectionDuration plus the client's retries × ackTimeout (docs/RECOVERY.md, "Delivery guarantees")`,
      );
    }
  }
  return warnings;
}
