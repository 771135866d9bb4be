import type { Adapter } from "../broadcast/adapter.js";
import type { ReplayableBroadcasts } from "../broadcast/broadcast-operator.js";
import type { BroadcastSurface } from "../broadcast/broadcast-surface.js";
import type { ServerMetrics } from "../metrics.js";
import type { ServerOptions } from "../server/server-options.js";
import type { EventsMap } from "../typed-events.js";
import type { BroadcastFlags, SocketId } from "../types.js";

/** What a socket needs from the recovery of its namespace. */
export interface SocketRecovery extends ReplayableBroadcasts {
  /** A direct emit without ack, stamped and kept so that a reconnect can replay it. */
  emitTo(id: SocketId, data: unknown[], flags: BroadcastFlags): void;
  /** The socket is leaving: keep its session unless it left on purpose. */
  persist(socket: { readonly id: SocketId; readonly _pid: string | undefined; readonly data: unknown }, reason: string): void;
}

/**
 * The namespace a socket lives in, as the socket sees it (`socket.nsp`): its name, adapter and
 * broadcast surface (`socket.nsp.to(room).emit(...)`), plus what the socket needs internally.
 * `Namespace` implements it; the socket never imports the namespace class, so the two files
 * do not import each other.
 */
export interface SocketNamespace<EmitEvents extends EventsMap, ServerSideEvents extends EventsMap, SocketData>
  extends BroadcastSurface<ServerSideEvents, EmitEvents, any, SocketData> {
  readonly name: string;
  readonly adapter: Adapter;
  readonly options: ServerOptions;
  readonly counters: ServerMetrics;
  readonly recovery: SocketRecovery | undefined;
  nextAckId(): number;
  createSocketId(): SocketId;
  /** Reports an error thrown by application code. */
  reportError(err: unknown): void;
  /** @internal the socket left: forget it. */
  _remove(socket: never): void;
}
