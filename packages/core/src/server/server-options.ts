import type { IncomingMessage } from "node:http";
import type { AdapterConstructor } from "../broadcast/adapter.js";
import { Adapter } from "../broadcast/adapter.js";
import type { ConnectionStateRecoveryOptions } from "../recovery/recovery-store.js";
import { validateRateLimit, type RateLimitOptions } from "../connection/rate-limiter.js";
import type { ShutdownOptions } from "./shutdown.js";

/** Where the server reports errors nobody listens for (a handler that threw, a bad peer). */
export interface Logger {
  warn(message: string, error?: unknown): void;
  error(message: string, error?: unknown): void;
}

/** `allowRequest` answers through `callback(err, ok)`: an error message and/or false reject the upgrade. */
export type AllowRequest = (req: IncomingMessage, callback: (err: string | null | undefined, ok: boolean) => void) => void;

/** Origins allowed to open a connection: exact strings, patterns, or a predicate. */
export type AllowedOrigins = (string | RegExp)[] | ((origin: string | undefined) => boolean);

export interface ServerOptions {
  /** Only upgrade requests whose path is exactly this are handled. */
  path: string;
  /** Milliseconds between server heartbeats. */
  pingInterval: number;
  /** Milliseconds without any inbound frame after a heartbeat before the connection closes with 4001. */
  pingTimeout: number;
  /** Milliseconds a new connection has to join its first namespace before it closes with 4002. */
  connectTimeout: number;
  /** Largest inbound message in bytes; a bigger one closes that connection with 1009. */
  maxPayload: number;
  /** Socket.IO's name for `maxPayload`; used when `maxPayload` is not given. */
  maxHttpBufferSize?: number;
  /** permessage-deflate: `true`, `false` or ws's options object. */
  perMessageDeflate: boolean | Record<string, unknown>;
  /** Decides whether an upgrade may proceed; rejection answers 403 ERR_REQUEST_REJECTED. */
  allowRequest: AllowRequest | undefined;
  /** When set, an upgrade whose `Origin` does not match is answered 403 ERR_ORIGIN_REJECTED. */
  allowedOrigins: AllowedOrigins | undefined;
  /** Open connections per remote address; 0 means unlimited. */
  maxConnectionsPerIp: number;
  /** Namespaces one connection may join; beyond, CONNECT_ERROR ERR_TOO_MANY_NAMESPACES. */
  maxNamespacesPerConnection: number;
  /** Rooms one socket may be in (its own id room included); beyond, `join` throws ERR_TOO_MANY_ROOMS. */
  maxRoomsPerSocket: number;
  /** Acks one socket may wait for at once; beyond, the emit fails with ERR_TOO_MANY_PENDING_ACKS. */
  maxPendingAcks: number;
  /** Outbound bytes a connection may have pending; beyond, it is closed with 4000 (slow consumer). */
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
  /* unset: every origin, as Socket.IO does for WebSocket upgrades */
  allowedOrigins: undefined,
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
};

/** Merges user options over the defaults (and maps Socket.IO's `maxHttpBufferSize`). */
export function resolveOptions(options: Partial<ServerOptions> = {}): ServerOptions {
  const resolved: ServerOptions = { ...DEFAULT_OPTIONS };
  for (const key of Object.keys(options) as (keyof ServerOptions)[]) {
    if (options[key] !== undefined) (resolved as unknown as Record<string, unknown>)[key] = options[key];
  }
  // A partial `shutdown` keeps the other default rather than leaving it undefined.
  if (options.shutdown !== undefined) resolved.shutdown = { ...DEFAULT_OPTIONS.shutdown, ...options.shutdown };
  validateRateLimit(resolved.rateLimit);
  if (options.maxPayload === undefined && options.maxHttpBufferSize !== undefined) {
    resolved.maxPayload = options.maxHttpBufferSize;
  }
  return resolved;
}
