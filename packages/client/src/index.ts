import { resolveOptions } from "./client-options.js";
import { Manager, type ManagerOptions } from "./manager.js";
import type { Socket, SocketOptions } from "./socket.js";
import type { DefaultEventsMap, EventsMap } from "./typed-events.js";
import { parseUrl } from "./url.js";

/**
 * Options of {@link io}: the manager's and the socket's, plus cache control. Checked on every
 * call: an unknown option, a socket.io-client option roomcast does not support, or a value of the
 * wrong type or range throws a TypeError that names it (and says what to use instead).
 */
export interface ClientOptions extends Partial<ManagerOptions>, SocketOptions {
  /** Always open a new connection instead of sharing one. Default: false. */
  forceNew?: boolean;
  /** Share a connection between namespaces of the same endpoint. Default: true. */
  multiplex?: boolean;
}

/* one manager per endpoint, so namespaces of the same server share one WebSocket */
const cache = new Map<string, Manager>();

/**
 * Connects to namespace `url`'s path on `url`'s server (the current page's when omitted).
 *
 * @example
 * ```ts
 * const socket = io("https://chat.example/admin", { auth: { token } });
 * socket.on("connect", () => socket.emit("hello"));
 * ```
 *
 * @throws TypeError for an unknown or unsupported option, or a value of the wrong type or range;
 *   for a Node-only option (`ca`, `rejectUnauthorized`, `agent`, ...) in a browser.
 */
export function io<ListenEvents extends EventsMap = DefaultEventsMap, EmitEvents extends EventsMap = ListenEvents>(
  url?: string | ClientOptions,
  opts?: ClientOptions,
): Socket<ListenEvents, EmitEvents> {
  if (typeof url === "object") [url, opts] = [undefined, url];
  // checked before the URL is resolved with `path`, and before a cached manager is reused
  const options = resolveOptions<ClientOptions>({}, opts);
  const parsed = parseUrl(url, options.path ?? "/roomcast");
  const cached = cache.get(parsed.id);
  // a second socket on a namespace already in use needs its own connection, as in Socket.IO
  const fresh = options.forceNew || options.multiplex === false || (cached !== undefined && cached.nsps.has(parsed.nsp));
  let manager: Manager;
  if (fresh) {
    manager = new Manager(parsed.href, options);
  } else {
    manager = cached ?? new Manager(parsed.href, options);
    cache.set(parsed.id, manager);
  }
  return manager.socket<ListenEvents, EmitEvents>(parsed.nsp, options);
}

export { io as connect };
export default io;
export { Manager, type ManagerOptions, type ManagerReservedEvents, type ManagerCloseReason } from "./manager.js";
export { Engine, type EngineReadyState, type EngineReservedEvents } from "./engine.js";
export type { TlsMaterial } from "./transport/websocket-types.js";
export {
  Socket,
  type SocketOptions,
  type SocketAuth,
  type SocketReservedEvents,
  type DisconnectReason,
  type DisconnectDescription,
  type ConnectError,
} from "./socket.js";
export { Backoff, type BackoffOptions } from "./backoff.js";
export type * from "./typed-events.js";
