import {
  ErrorCode,
  PacketType,
  RESERVED_EVENTS,
  RoomcastError,
  type EventPacket,
  type Packet,
} from "@roomcast/protocol";
import type { Adapter, AdapterSocket } from "../broadcast/adapter.js";
import { AckRegistry } from "../acks/ack-registry.js";
import { HandledEmits } from "../acks/handled-emits.js";
import { type AnyListener, notifyCatchAll, withoutCatchAll } from "./catch-all-listeners.js";
import { BroadcastOperator, assertNotReserved } from "../broadcast/broadcast-operator.js";
import type { IncomingMessage } from "node:http";
import { Client } from "../connection/client.js";
import type { Connection, ConnectionSocket } from "../connection/connection.js";
import type { SocketNamespace } from "./socket-namespace.js";
import { OutgoingPacket } from "../dialect/outgoing-packet.js";
import { traceServer, traceSocket } from "../trace.js";
import {
  TypedEventEmitter,
  type AllButLast,
  type DecorateAcknowledgements,
  type DefaultEventsMap,
  type EventNames,
  type EventNamesWithAck,
  type EventParams,
  type EventsMap,
  type FirstArg,
  type Last,
} from "../typed-events.js";
import type { BroadcastFlags, DisconnectReason, Handshake, Room, SocketId } from "../types.js";

/** Local events of a server-side socket. */
export interface SocketReservedEvents {
  disconnect(reason: DisconnectReason): void;
  disconnecting(reason: DisconnectReason): void;
  error(err: Error): void;
}

/** A packet middleware: sees `[event, ...args]` before listeners; `next(err)` emits "error" instead. */
export type PacketMiddleware = (event: unknown[], next: (err?: Error) => void) => void;

type AckFunction = (...args: any[]) => void;

const NO_FLAGS: Readonly<BroadcastFlags> = Object.freeze({});
/**
 * Whether a listener names the ack parameter, as Mocha decides whether a test takes `done`: its
 * declared parameter count (`fn.length`) reaches past the `args` arguments (catch-all listeners
 * also take the event name first).
 */
function declaresAck(listeners: readonly { readonly length: number }[], anyListeners: readonly AnyListener[] | undefined, args: number): boolean {
  for (const listener of listeners) if (listener.length > args) return true;
  if (anyListeners !== undefined) for (const listener of anyListeners) if (listener.length > args + 1) return true;
  return false;
}

/* packets held for one socket while recovery admits it; past this the resume falls back to a fresh session */
const HOLD_LIMIT = 10_000;

/*
 * The ack handed to the handler of an emit with an id, and that emit's id: when the handler's
 * promise rejects, the rejection comes back with the handler's arguments, the ack last.
 */
const onceRuns = new WeakMap<AckFunction, number>();

/* What a socket's `data` holds until it is first read or set (never handed out). */
const NO_DATA: unknown = Object.freeze({});

/**
 * One client in one namespace. Many sockets (one per namespace) share a Connection.
 *
 * @example
 * io.on("connection", (socket) => {
 *   socket.join("lobby");
 *   socket.on("chat", (text, ack) => { socket.to("lobby").emit("chat", text); ack("ok"); });
 * });
 */
export class Socket<
    ListenEvents extends EventsMap = DefaultEventsMap,
    EmitEvents extends EventsMap = ListenEvents,
    ServerSideEvents extends EventsMap = DefaultEventsMap,
    SocketData = any,
  >
  extends TypedEventEmitter<ListenEvents, SocketReservedEvents>
  implements AdapterSocket, ConnectionSocket
{
  readonly id: SocketId;
  readonly handshake: Handshake;
  /* `data`'s value; the shared NO_DATA until read or set, so a socket that never uses it holds no object for it. */
  private dataValue: SocketData = NO_DATA as SocketData;
  /** True from the CONNECTED packet until disconnect. */
  connected = false;
  /**
   * True when this socket is a dropped one brought back by connection-state recovery: same id,
   * rooms and data, missed packets replayed. False for a fresh session.
   */
  recovered = false;
  /** @internal recovery session id; set only on namespaces with connection-state recovery. */
  _pid: string | undefined;
  /** @internal packets delivered while recovery admits this socket, sent after its CONNECTED. */
  _held: OutgoingPacket[] | undefined;
  /** @internal more was delivered while held than `maxPackets`: the replay cannot be trusted. */
  _heldOverflow = false;
  /**
   * @internal the emits with an id (EVENT_ONCE) this session ran, and their replies; created on
   * the first one, or restored from the recovery session.
   */
  _handled: HandledEmits | undefined;

  private flags: Readonly<BroadcastFlags> = NO_FLAGS;
  // Created on first use: most sockets never wait for an ack or use packet middleware.
  private ackRegistry: AckRegistry | undefined;
  private packetMiddleware: PacketMiddleware[] | undefined;
  private anyListeners: AnyListener[] | undefined;
  private anyOutgoingListeners: AnyListener[] | undefined;

  constructor(
    readonly nsp: SocketNamespace<EmitEvents, ServerSideEvents, SocketData>,
    /** The WebSocket connection this socket lives on (codec, address, counters, `close()`). */
    readonly conn: Connection,
    auth: Record<string, unknown>,
    /** The id to keep (a recovered session); a new one otherwise. */
    id?: SocketId,
  ) {
    super();
    this.id = id ?? nsp.createSocketId();
    this.handshake = conn._handshakeFor(auth);
  }

  /**
   * The HTTP request that opened this socket's connection (Socket.IO's `socket.request`): the
   * WebSocket upgrade, or the handshake request of a long-polling session. What `io.engine.use()`
   * middlewares set on it (`request.session`, `request.user`) is there; a request nothing was left
   * on is rebuilt from the handshake on first read (see Connection#request).
   */
  get request(): IncomingMessage {
    return this.conn.request;
  }

  /** The client behind every namespace socket of this connection (`client.conn`, `client.request`). */
  get client(): Client {
    return new Client(this.conn);
  }

  /** Application data, shared with other nodes through `fetchSockets()`; `{}` until set. */
  get data(): SocketData {
    if (this.dataValue === NO_DATA) this.dataValue = {} as SocketData;
    return this.dataValue;
  }

  set data(value: SocketData) {
    this.dataValue = value;
  }

  get disconnected(): boolean {
    return !this.connected;
  }

  /** The rooms this socket is in (a copy); its own id room included. */
  get rooms(): Set<Room> {
    return new Set(this.nsp.adapter.socketRooms(this.id));
  }

  get adapter(): Adapter {
    return this.nsp.adapter;
  }

  private get acks(): AckRegistry {
    const counters = this.nsp.counters;
    return (this.ackRegistry ??= new AckRegistry(
      this.nsp.options.maxPendingAcks,
      (err) => this.reportError(err),
      () => counters.ackTimeouts++,
    ));
  }

  /** Number of acks this socket is waiting for. */
  get pendingAcks(): number {
    return this.ackRegistry?.size ?? 0;
  }

  // ---- emitting to this client ----

  /**
   * Sends an event to this client. A trailing function is the ack callback: plain `(…reply)`, or
   * `(err, …reply)` after `timeout(ms)`. Throws ERR_RESERVED_EVENT for reserved names and
   * ERR_TOO_MANY_PENDING_ACKS when `maxPendingAcks` acks are already waiting (with `timeout`, the
   * callback gets that error instead).
   */
  override emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    assertNotReserved(ev);
    const flags = this.flags;
    this.flags = NO_FLAGS;
    const data: unknown[] = [ev, ...args];
    const last = data[data.length - 1];
    if (typeof last === "function") {
      data.pop();
      return this.send_(data, flags, last as AckFunction, flags.timeout !== undefined);
    }
    return this.send_(data, flags, undefined, false);
  }

  /**
   * Sends an event and resolves with the client's reply. Rejects with ERR_ACK_TIMEOUT after
   * `timeout(ms)`, and with ERR_ACK_CANCELLED when the socket disconnects first.
   */
  emitWithAck<Ev extends EventNamesWithAck<EmitEvents>>(
    ev: Ev,
    ...args: AllButLast<EventParams<EmitEvents, Ev>>
  ): Promise<FirstArg<Last<EventParams<EmitEvents, Ev>>>> {
    const flags = this.flags;
    this.flags = NO_FLAGS;
    return new Promise((resolve, reject) => {
      try {
        assertNotReserved(ev);
        const callback = (err: Error | null, reply: unknown): void => (err ? reject(err) : resolve(reply as never));
        this.send_([ev, ...args], flags, callback, true);
      } catch (err) {
        reject(err);
      }
    });
  }

  private send_(data: unknown[], flags: Readonly<BroadcastFlags>, ack: AckFunction | undefined, withError: boolean): boolean {
    let id: number | undefined;
    if (!this.connected) {
      // The connection may still serve other namespaces; this one is gone, so nothing is sent.
      if (ack !== undefined && withError) {
        queueMicrotask(() => ack(new RoomcastError(ErrorCode.ACK_CANCELLED, "socket has been disconnected")));
      }
      return false;
    }
    if (ack !== undefined) {
      id = this.nsp.nextAckId();
      if (!this.acks.add(id, ack, withError, flags.timeout)) {
        const err = new RoomcastError(ErrorCode.TOO_MANY_PENDING_ACKS, "too many pending acks on this socket");
        if (!withError) throw err;
        queueMicrotask(() => ack(err));
        return false;
      }
    }
    const recovery = this.nsp.recovery;
    if (recovery !== undefined && id === undefined && flags.volatile !== true) {
      // stamped and kept like a broadcast to this socket alone, so a reconnect can replay it
      if (traceSocket.enabled) traceSocket("socket %s > EVENT %s (kept for recovery)", this.id, this.nsp.name);
      recovery.emitTo(this.id, data, flags);
      return true;
    }
    const packet: EventPacket = id === undefined ? { type: PacketType.EVENT, nsp: this.nsp.name, data } : { type: PacketType.EVENT, nsp: this.nsp.name, data, id };
    if (this.anyOutgoingListeners !== undefined) this.notifyAny(this.anyOutgoingListeners, data);
    const out = new OutgoingPacket(packet);
    if (traceSocket.enabled) this.conn.traceOut(out);
    return this.conn.push(out, flags.volatile === true, flags.compress !== false);
  }

  /** Sends a "message" event. */
  send(...args: EventParams<EmitEvents, "message">): this {
    this.emit("message", ...args);
    return this;
  }

  /** Same as `send`. */
  write(...args: EventParams<EmitEvents, "message">): this {
    return this.send(...args);
  }

  /** The next emit may be dropped when this connection is congested (counted in metrics). */
  get volatile(): this {
    this.flags = { ...this.flags, volatile: true };
    return this;
  }

  compress(compress: boolean): this {
    this.flags = { ...this.flags, compress };
    return this;
  }

  /** The ack of the next emit fails with ERR_ACK_TIMEOUT after `ms`. */
  timeout(ms: number): Socket<ListenEvents, DecorateAcknowledgements<EmitEvents>, ServerSideEvents, SocketData> {
    this.flags = { ...this.flags, timeout: ms };
    return this as never;
  }

  // ---- broadcasting from this socket (the sender is always left out) ----

  private newBroadcastOperator(): BroadcastOperator<EmitEvents, SocketData> {
    const flags = this.flags;
    this.flags = NO_FLAGS;
    return new BroadcastOperator(this.nsp, undefined, new Set([this.id]), flags);
  }

  /** Targets members of `room` except this socket. */
  to(room: Room | readonly Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.newBroadcastOperator().to(room);
  }

  in(room: Room | readonly Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.to(room);
  }

  except(room: Room | readonly Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.newBroadcastOperator().except(room);
  }

  /** Every socket of the namespace except this one. */
  get broadcast(): BroadcastOperator<EmitEvents, SocketData> {
    return this.newBroadcastOperator();
  }

  /** Only this node's sockets. */
  get local(): BroadcastOperator<EmitEvents, SocketData> {
    return this.newBroadcastOperator().local;
  }

  // ---- rooms ----

  /**
   * Joins one or more rooms. A no-op after disconnect. Throws ERR_TOO_MANY_ROOMS past
   * `maxRoomsPerSocket`. Returns what the adapter returns (void in memory, maybe a promise).
   */
  join(rooms: Room | readonly Room[]): Promise<void> | void {
    if (!this.connected) return;
    const list = typeof rooms === "string" ? [rooms] : rooms;
    const current = this.nsp.adapter.socketRooms(this.id);
    let added = 0;
    for (const room of list) if (!current?.has(room)) added++;
    if ((current?.size ?? 0) + added > this.nsp.options.maxRoomsPerSocket) {
      throw new RoomcastError(ErrorCode.TOO_MANY_ROOMS, `a socket may be in at most ${this.nsp.options.maxRoomsPerSocket} rooms`);
    }
    if (traceSocket.enabled) traceSocket("socket %s joins %s in %s", this.id, list.join(", "), this.nsp.name);
    const joined = this.nsp.adapter.addAll(this.id, list) as Promise<void> | void;
    // a store that keeps live sessions writes the new rooms; output waits for it (docs/RECOVERY.md)
    if (added > 0) this.nsp.recovery?.changed(this);
    return joined;
  }

  leave(room: Room): Promise<void> | void {
    if (!this.connected) return;
    if (traceSocket.enabled) traceSocket("socket %s leaves %s in %s", this.id, room, this.nsp.name);
    const member = this.nsp.adapter.socketRooms(this.id)?.has(room) === true;
    const left = this.nsp.adapter.del(this.id, room) as Promise<void> | void;
    if (member) this.nsp.recovery?.changed(this);
    return left;
  }

  // ---- middleware and catch-all listeners ----

  /** Adds a packet middleware. @example socket.use(([event], next) => event === "admin" ? next(new Error("no")) : next()) */
  use(fn: PacketMiddleware): this {
    (this.packetMiddleware ??= []).push(fn);
    return this;
  }

  /** Listens to every incoming event: `(event, ...args)`. */
  onAny(listener: AnyListener): this {
    (this.anyListeners ??= []).push(listener);
    return this;
  }

  prependAny(listener: AnyListener): this {
    (this.anyListeners ??= []).unshift(listener);
    return this;
  }

  offAny(listener?: AnyListener): this {
    this.anyListeners = withoutCatchAll(this.anyListeners, listener);
    return this;
  }

  listenersAny(): AnyListener[] {
    return this.anyListeners ? [...this.anyListeners] : [];
  }

  /** Listens to every event this socket sends (direct emits and broadcasts it receives). */
  onAnyOutgoing(listener: AnyListener): this {
    (this.anyOutgoingListeners ??= []).push(listener);
    return this;
  }

  prependAnyOutgoing(listener: AnyListener): this {
    (this.anyOutgoingListeners ??= []).unshift(listener);
    return this;
  }

  offAnyOutgoing(listener?: AnyListener): this {
    this.anyOutgoingListeners = withoutCatchAll(this.anyOutgoingListeners, listener);
    return this;
  }

  listenersAnyOutgoing(): AnyListener[] {
    return this.anyOutgoingListeners ? [...this.anyOutgoingListeners] : [];
  }

  // ---- disconnecting ----

  /**
   * Leaves the namespace: the client gets DISCONNECT ("io server disconnect", no reconnection).
   * With `close`, every namespace of the connection gets DISCONNECT and the WebSocket closes (1000).
   */
  disconnect(close = false): this {
    if (!this.connected) return this;
    if (close) {
      this.conn.disconnectAll();
    } else {
      this.conn.send({ type: PacketType.DISCONNECT, nsp: this.nsp.name });
      this._onclose("server namespace disconnect");
    }
    return this;
  }

  // ---- AdapterSocket ----

  /** Queues a broadcast packet; called by the adapter once per recipient, allocation-free. */
  deliver(packet: OutgoingPacket, flags: BroadcastFlags | undefined): void {
    if (flags !== undefined) {
      const id = (packet.packet as { id?: number }).id;
      if (id !== undefined && flags.timeout !== undefined) this.ackRegistry?.setExpiry(id, flags.timeout);
    }
    const held = this._held;
    if (held !== undefined) {
      if (held.length < HOLD_LIMIT) held.push(packet);
      else this._heldOverflow = true;
      return;
    }
    // an ACK arrives here only as a late reply from another node (recovery): not an event
    if (this.anyOutgoingListeners !== undefined && packet.packet.type !== PacketType.ACK) this.notifyAny(this.anyOutgoingListeners, (packet.packet as EventPacket).data);
    this.conn.push(packet, flags?.volatile === true, flags?.compress !== false);
  }

  expectAck(id: number, callback: (err: Error | null, ...args: unknown[]) => void): void {
    if (!this.connected) {
      callback(new RoomcastError(ErrorCode.ACK_CANCELLED, "socket has been disconnected"));
      return;
    }
    if (!this.acks.add(id, callback, true)) {
      callback(new RoomcastError(ErrorCode.TOO_MANY_PENDING_ACKS, "too many pending acks on this socket"));
    }
  }

  // ---- called by Namespace and Connection ----

  /**
   * Admission completed: joins its own room, tells the client, registers with the connection.
   * With `recovery` (pid, recovered...), recovery has already joined the socket's rooms.
   */
  _onconnect(recovery?: Record<string, unknown>): void {
    this.connected = true;
    if (recovery === undefined) this.nsp.adapter.addAll(this.id, [this.id]);
    this.conn.attach(this.nsp.name, this);
    const options = this.nsp.options;
    const info = { sid: this.id, pingInterval: options.pingInterval, pingTimeout: options.pingTimeout };
    this.conn.send({ type: PacketType.CONNECTED, nsp: this.nsp.name, info: recovery === undefined ? info : { ...info, ...recovery } });
  }

  _onpacket(packet: Packet): void {
    switch (packet.type) {
      case PacketType.EVENT:
        this.onEvent(packet);
        return;
      case PacketType.ACK:
        this.ackRegistry?.resolve(packet.id, packet.data);
        return;
      case PacketType.DISCONNECT:
        this._onclose("client namespace disconnect");
        return;
    }
  }

  _onclose(reason: DisconnectReason): void {
    if (!this.connected) return;
    this.safely("disconnecting", reason);
    // the rooms are read before the socket leaves them
    this.nsp.recovery?.persist(this, reason);
    this.nsp.adapter.delAll(this.id);
    this.nsp._remove(this as never);
    this.conn.detach(this.nsp.name, this);
    this.connected = false;
    this.ackRegistry?.cancelAll();
    if (traceServer.enabled) traceServer("socket %s left namespace %s (%s)", this.id, this.nsp.name, reason);
    this.safely("disconnect", reason);
  }

  /**
   * An incoming event. One sent with an id (EVENT_ONCE) is filed in the session's window first;
   * `once`, its id, then travels through the packet middleware to `dispatch`.
   */
  private onEvent(packet: EventPacket): void {
    const event = packet.data;
    const name = event[0] as string;
    // A peer may not trigger the API's own events ("disconnect", "error"...).
    if (RESERVED_EVENTS.has(name) || name === "error") return;
    const id = packet.id;
    let once: number | undefined;
    if (id !== undefined && packet.once === true) {
      if (!this.admitOnce(id)) return;
      once = id;
      event.push(this.onceAckFor(this._handled!, id));
    } else if (id !== undefined) {
      event.push(this.ackFor(id));
    }
    const middleware = this.packetMiddleware;
    if (middleware === undefined) this.dispatch(event, once);
    else this.runPacketMiddleware(middleware, event, 0, once);
  }

  private runPacketMiddleware(middleware: PacketMiddleware[], event: unknown[], index: number, once: number | undefined): void {
    if (index === middleware.length) {
      this.dispatch(event, once);
      return;
    }
    let called = false;
    const next = (err?: Error): void => {
      if (called) return;
      called = true;
      if (err === undefined && this.connected) return this.runPacketMiddleware(middleware, event, index + 1, once);
      if (err !== undefined && this.connected) this.reportError(err);
      // the handler never ran: a resend may run it
      if (once !== undefined) this.dropOnce(once);
    };
    try {
      middleware[index](event, next);
    } catch (err) {
      next(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private dispatch(event: unknown[], once?: number): void {
    if (!this.connected) {
      if (once !== undefined) this.dropOnce(once);
      return;
    }
    // a handler that takes no ack is done once it ran: its emit is acknowledged with no arguments
    const done = once !== undefined && !declaresAck(this.listeners(event[0] as string), this.anyListeners, event.length - 2) ? (event[event.length - 1] as AckFunction) : undefined;
    if (this.anyListeners !== undefined) this.notifyAny(this.anyListeners, event);
    try {
      this.emitUntypedEvent(event);
    } catch (err) {
      this.reportError(err);
      // it failed before it was done: not acknowledged, and a resend may run it again
      if (once !== undefined) this.dropOnce(once);
      return;
    }
    done?.();
  }

  /**
   * Files an arriving emit with an id in this session's window. True when its handler should run;
   * otherwise it was answered with the kept reply, joined to its run in progress (whose answer
   * goes out when it comes), or refused with an `error` event.
   */
  private admitOnce(id: number): boolean {
    const window = (this._handled ??= new HandledEmits(this.nsp.options.handledEmits));
    const counters = this.nsp.counters;
    const now = Date.now();
    const overdue = window.giveUpOverdue(now);
    if (overdue.length > 0) this.reportOverdue(overdue);
    const arrival = window.arrive(id, now);
    if (arrival === "new") return true;
    if (arrival === "full") {
      counters.refusedEmits++;
      this.refuseOnce(id, ErrorCode.TOO_MANY_PENDING_EMITS, `more than handledEmits.maxIds (${this.nsp.options.handledEmits.maxIds}) emits with an id have not been answered yet: emit refused`);
      return false;
    }
    counters.duplicateEmits++;
    if (arrival === "answered") {
      this.conn.send({ type: PacketType.ACK, nsp: this.nsp.name, id, data: window.replyOf(id)! });
    } else if (arrival === "unkept") {
      counters.refusedEmits++;
      this.refuseOnce(id, ErrorCode.REPLY_TOO_LARGE, `the reply to emit ${id} was over handledEmits.maxReplyBytes and was not kept: it is not sent again`);
    }
    return false;
  }

  /** Runs given up after `handledEmits.maxRunTime`: handler errors (a lost ack, a promise that never settles). */
  private reportOverdue(ids: readonly number[]): void {
    const { maxRunTime } = this.nsp.options.handledEmits;
    for (const id of ids) {
      this.reportError(new Error(`the handler of emit ${id} did not answer within handledEmits.maxRunTime (${maxRunTime} ms): its id is forgotten, and a resend runs the handler again`));
    }
  }

  /** Tells the client about an emit with an id its server will not answer, as the socket's `error` event. */
  private refuseOnce(id: number, code: ErrorCode, message: string): void {
    this.conn.send({ type: PacketType.EVENT, nsp: this.nsp.name, data: ["error", { code, message, id }] });
  }

  /**
   * The ack handed to the handler of an emit with an id: keeps the reply, then sends it where the
   * session is. The session's pid is taken now: a socket that loses it later (taken over by
   * another node) still has its late answer taken there.
   */
  private onceAckFor(window: HandledEmits, id: number): AckFunction {
    const pid = this._pid;
    let called = false;
    const ack = (...reply: unknown[]): void => {
      if (called) return;
      called = true;
      const settled = window.settle(id, reply);
      // another run of the same id (after this one was given up) answered first
      if (settled === "repeated") return;
      if (this.connected) {
        // with live sessions the reply is stored before the client sees it: a resend on another
        // node after a crash finds it
        if (settled === "recorded") this.nsp.recovery?.changed(this);
        this.conn.send({ type: PacketType.ACK, nsp: this.nsp.name, id, data: reply });
      } else if (settled === "recorded" && pid !== undefined) {
        this.nsp.recovery?.handledLate(pid, this.id, window, id, reply);
      }
    };
    onceRuns.set(ack, id);
    return ack;
  }

  /**
   * An emit with an id that will not answer: it never reached its handler, or its handler threw
   * or rejected first. Forgotten, so its resend runs; an answered one stays.
   */
  private dropOnce(id: number): void {
    const window = this._handled;
    if (window === undefined || !window.forget(id)) return;
    const pid = this._pid;
    if (!this.connected && pid !== undefined) this.nsp.recovery?.handledLate(pid, this.id, window, id, undefined);
  }

  /**
   * @internal a run of this session that started on another socket (before a reconnect, on
   * this node or another one) answered, or will not answer (`reply` undefined). A first answer
   * is kept and, once connected, sent.
   */
  _settleHandled(id: number, reply: unknown[] | undefined): void {
    const window = this._handled;
    if (window === undefined) return;
    if (reply === undefined) {
      window.forget(id);
      return;
    }
    if (window.settle(id, reply) !== "recorded" || !this.connected) return;
    this.nsp.recovery?.changed(this);
    this.conn.send({ type: PacketType.ACK, nsp: this.nsp.name, id, data: reply });
  }

  /** The callback handed to a listener for a client event with an ack: answers once. */
  private ackFor(id: number): AckFunction {
    let sent = false;
    return (...data: unknown[]) => {
      if (sent) return;
      sent = true;
      if (this.connected) this.conn.send({ type: PacketType.ACK, nsp: this.nsp.name, id, data });
    };
  }

  private notifyAny(listeners: AnyListener[], event: unknown[]): void {
    notifyCatchAll(listeners, event, (err) => this.reportError(err));
  }

  private safely(ev: "disconnect" | "disconnecting", reason: DisconnectReason): void {
    try {
      this.emitReserved(ev, reason);
    } catch (err) {
      this.reportError(err);
    }
  }

  /** A handler, middleware or callback failed: "error" listeners hear it, else the logger does. */
  reportError(err: unknown): void {
    this.nsp.counters.handlerErrors++;
    const error = err instanceof Error ? err : new Error(String(err));
    if (this.listenerCount("error") > 0) {
      try {
        this.emitReserved("error", error);
        return;
      } catch (thrown) {
        this.nsp.options.logger.error(`an "error" listener of socket ${this.id} threw`, thrown);
        return;
      }
    }
    this.nsp.options.logger.error(`unhandled error on socket ${this.id} (${this.nsp.name})`, error);
  }

  /**
   * Listener promises that reject land here (captureRejections), with the listener's arguments.
   * The handler of an emit with an id that rejects before answering gives up its id, as one that
   * throws: a resend may run it again.
   */
  [Symbol.for("nodejs.rejection")](err: unknown, event: string | symbol, ...args: unknown[]): void {
    if (event === "error") {
      this.nsp.options.logger.error(`an "error" listener of socket ${this.id} rejected`, err);
      return;
    }
    this.reportError(err);
    const ack = args[args.length - 1];
    const once = typeof ack === "function" ? onceRuns.get(ack as AckFunction) : undefined;
    if (once !== undefined) this.dropOnce(once);
  }
}
