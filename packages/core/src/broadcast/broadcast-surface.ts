import type { BroadcastOperator } from "./broadcast-operator.js";
import type { RemoteSocket } from "./remote-socket.js";
import {
  TypedEventEmitter,
  type AllButLast,
  type DecorateAcknowledgementsWithTimeoutAndMultipleResponses,
  type EventNames,
  type EventNamesWithAck,
  type EventParams,
  type EventsMap,
  type Last,
  type SecondArg,
} from "../typed-events.js";
import type { Room } from "../types.js";

/**
 * The broadcast surface shared by Server and Namespace, written once: each method starts a fresh
 * BroadcastOperator targeting every socket of the namespace and delegates to it. See
 * BroadcastOperator for the semantics of each method.
 */
export abstract class BroadcastSurface<
  ListenEvents extends EventsMap,
  EmitEvents extends EventsMap,
  ReservedEvents extends EventsMap,
  SocketData,
> extends TypedEventEmitter<ListenEvents, ReservedEvents> {
  /** An operator that targets every socket of this namespace. */
  protected abstract newBroadcastOperator(): BroadcastOperator<EmitEvents, SocketData>;

  /** Targets members of `room`. @example io.to("lobby").emit("chat", text) */
  to(room: Room | readonly Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.newBroadcastOperator().to(room);
  }

  /** Same as `to`. */
  in(room: Room | readonly Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.newBroadcastOperator().in(room);
  }

  /** Leaves out members of `room`. */
  except(room: Room | readonly Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.newBroadcastOperator().except(room);
  }

  /** The next emit may be dropped for congested or disconnected sockets. */
  get volatile(): BroadcastOperator<EmitEvents, SocketData> {
    return this.newBroadcastOperator().volatile;
  }

  /** The next emit reaches this node's sockets only. */
  get local(): BroadcastOperator<EmitEvents, SocketData> {
    return this.newBroadcastOperator().local;
  }

  compress(compress: boolean): BroadcastOperator<EmitEvents, SocketData> {
    return this.newBroadcastOperator().compress(compress);
  }

  /** @example const replies = await io.timeout(1000).emitWithAck("poll") */
  timeout(ms: number): BroadcastOperator<DecorateAcknowledgementsWithTimeoutAndMultipleResponses<EmitEvents>, SocketData> {
    return this.newBroadcastOperator().timeout(ms);
  }

  /** Sends an event to every socket of the namespace. */
  override emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    return this.newBroadcastOperator().emit(ev, ...args);
  }

  emitWithAck<Ev extends EventNamesWithAck<EmitEvents>>(
    ev: Ev,
    ...args: AllButLast<EventParams<EmitEvents, Ev>>
  ): Promise<SecondArg<Last<EventParams<EmitEvents, Ev>>>> {
    return this.newBroadcastOperator().emitWithAck(ev, ...args);
  }

  /** Sends a "message" event, as Socket.IO's `send`. */
  send(...args: EventParams<EmitEvents, "message">): this {
    this.newBroadcastOperator().emit("message", ...args);
    return this;
  }

  fetchSockets(): Promise<RemoteSocket<EmitEvents, SocketData>[]> {
    return this.newBroadcastOperator().fetchSockets();
  }

  socketsJoin(room: Room | readonly Room[]): void {
    this.newBroadcastOperator().socketsJoin(room);
  }

  socketsLeave(room: Room | readonly Room[]): void {
    this.newBroadcastOperator().socketsLeave(room);
  }

  disconnectSockets(close = false): void {
    this.newBroadcastOperator().disconnectSockets(close);
  }
}
