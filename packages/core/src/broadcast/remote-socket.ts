import type { SocketDetails } from "./adapter.js";
import type { DecorateAcknowledgements, EventNames, EventParams, EventsMap } from "../typed-events.js";
import type { Handshake, Room, SocketId } from "../types.js";

/**
 * A socket returned by `fetchSockets()`. On a single node these are the live sockets themselves;
 * sockets on other nodes are handles that act through the adapter.
 */
export interface RemoteSocket<EmitEvents extends EventsMap, SocketData> {
  readonly id: SocketId;
  readonly handshake: Handshake;
  readonly rooms: Set<Room>;
  readonly data: SocketData;
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean;
  timeout(ms: number): { emit: RemoteSocket<DecorateAcknowledgements<EmitEvents>, SocketData>["emit"] };
  join(room: Room | Room[]): unknown;
  leave(room: Room): unknown;
  disconnect(close?: boolean): unknown;
}

/** What a handle needs from a broadcast operator that targets exactly one socket's id room. */
export interface SingleSocketOperator<EmitEvents extends EventsMap> {
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean;
  timeout(ms: number): { emit(ev: string, ...args: any[]): boolean };
  socketsJoin(room: Room | readonly Room[]): void;
  socketsLeave(room: Room | readonly Room[]): void;
  disconnectSockets(close?: boolean): void;
}

/** A socket of another node, reached by broadcasting to its id room. */
export class RemoteSocketHandle<EmitEvents extends EventsMap, SocketData> implements RemoteSocket<EmitEvents, SocketData> {
  readonly id: SocketId;
  readonly handshake: Handshake;
  readonly rooms: Set<Room>;
  readonly data: SocketData;

  constructor(
    details: SocketDetails,
    /** An operator that targets exactly this socket's id room. */
    private readonly operator: SingleSocketOperator<EmitEvents>,
  ) {
    this.id = details.id;
    this.handshake = details.handshake;
    this.rooms = new Set(details.rooms);
    this.data = details.data as SocketData;
  }

  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    return this.operator.emit(ev, ...args);
  }

  timeout(ms: number): { emit: RemoteSocket<DecorateAcknowledgements<EmitEvents>, SocketData>["emit"] } {
    const operator = this.operator.timeout(ms);
    return { emit: (ev, ...args) => operator.emit(ev as string, ...args) };
  }

  join(room: Room | Room[]): void {
    this.operator.socketsJoin(room);
  }

  leave(room: Room): void {
    this.operator.socketsLeave(room);
  }

  disconnect(close = false): void {
    this.operator.disconnectSockets(close);
  }
}
