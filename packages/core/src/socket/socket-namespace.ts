import type { HandledEmits } from "../acks/handled-emits.js";
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
  persist(socket: RecoverableSocket, reason: string): void;
  /**
   * A run of an emit with an id answered (`reply`), or will not answer (`reply` undefined: it
   * failed, or never reached its handler), after its socket (`sid`, session `pid`, its `window`
   * holding the outcome already) had gone: the session it belongs to is elsewhere now.
   */
  handledLate(pid: string, sid: SocketId, window: HandledEmits, id: number, reply: unknown[] | undefined): void;
  /** The socket's session changed (a room joined or left): stores that keep live sessions write it. */
  changed(socket: RecoverableSocket): void;
}

/** What recovery reads of a socket to keep its session. */
export interface RecoverableSocket {
  readonly id: SocketId;
  readonly _pid: string | undefined;
  readonly data: unknown;
  readonly _handled: HandledEmits | undefined;
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
