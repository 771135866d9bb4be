import {
  type ConnectedInfo,
  ErrorCode,
  type EventPacket,
  type Packet,
  PacketType,
  RESERVED_EVENTS,
  RoomcastError,
} from "@roomcast/protocol";
import { type AckCallback, AckRegistry } from "./ack/ack-registry.js";
import { type EmitFlags, RetryQueue } from "./ack/retry-queue.js";
import type { Manager, ManagerCloseReason } from "./manager.js";
import {
  type AllButLast,
  type DecorateAcknowledgements,
  type DefaultEventsMap,
  type EventNames,
  type EventParams,
  type EventsMap,
  type FirstNonErrorArg,
  type Last,
  TypedEmitter,
} from "./typed-events.js";

/** Credentials sent with CONNECT; a function is called on every (re)connect. */
export type SocketAuth = Record<string, unknown> | ((callback: (data: Record<string, unknown>) => void) => void);

export interface SocketOptions {
  /** Sent to the server in CONNECT (`socket.handshake.auth`). Default: none. */
  auth?: SocketAuth;
  /**
   * Also send `auth` in the `Sec-WebSocket-Protocol` header (`roomcast.auth.<base64url JSON>`),
   * so the server can check it before accepting the upgrade. Browsers cannot set headers; this
   * is the one they let through. Default: false.
   */
  authInSubprotocol?: boolean;
  /** Default ack timeout in ms for emits with a callback. Default: none (wait forever). */
  ackTimeout?: number;
  /** Resends of an unacknowledged emit (at-least-once delivery; needs `ackTimeout`). Default: 0. */
  retries?: number;
  /**
   * Bound of the send buffer, the retry queue and the pending acks each. Past it the oldest
   * entry is dropped and counted in `socket.droppedPackets`. Default: 1000.
   */
  maxBufferedPackets?: number;
}

/** Why a socket disconnected: a closed set, as in Socket.IO. */
export type DisconnectReason =
  | "io server disconnect"
  | "io client disconnect"
  | "ping timeout"
  | "transport close"
  | "transport error"
  | "parse error";

/** Details of a transport-level disconnect. */
export interface DisconnectDescription {
  /** WebSocket close code, when the server closed the connection. */
  code?: number;
  reason?: string;
  error?: Error;
}

/** `connect_error` payload: a middleware's `err.message` and `err.data`, or a transport error. */
export interface ConnectError extends Error {
  data?: unknown;
}

export interface SocketReservedEvents {
  connect: () => void;
  connect_error: (err: ConnectError) => void;
  disconnect: (reason: DisconnectReason, description?: DisconnectDescription) => void;
}

type AnyListener = (event: string, ...args: any[]) => void;

/* 1000 packets covers minutes of a chatty app offline while keeping memory bounded */
const DEFAULT_MAX_BUFFERED = 1000;

/**
 * One namespace of a connection, with Socket.IO's client API.
 *
 * @example
 * ```ts
 * const socket: Socket<ServerToClient, ClientToServer> = io("https://host/chat");
 * socket.on("message", (text) => console.log(text));
 * const reply = await socket.timeout(2000).emitWithAck("send", "hi");
 * ```
 */
export class Socket<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
> extends TypedEmitter<ListenEvents, SocketReservedEvents> {
  /** The manager that owns the connection (`socket.io` in Socket.IO). */
  readonly io: Manager;
  /** Namespace name. */
  readonly nsp: string;
  /** Server-assigned id; undefined while disconnected. */
  id: string | undefined;
  connected = false;
  /** True when the server restored the previous session on this connect. */
  recovered = false;
  auth: SocketAuth | undefined;
  /** Emits made while disconnected, sent in order on connect. */
  sendBuffer: EventPacket[] = [];
  /** Packets this socket gave up on: volatile emits while disconnected and overflow of the bounded buffers. */
  droppedPackets = 0;

  /** @internal auth already resolved for this connection (`authInSubprotocol`). */
  _preparedAuth: Record<string, unknown> | undefined;
  private readonly opts: SocketOptions;
  private readonly maxBuffered: number;
  private readonly acks: AckRegistry;
  private readonly queue: RetryQueue | undefined;
  private flags: EmitFlags = {};
  private subs: (() => void)[] | undefined;
  private anyIn: AnyListener[] = [];
  private anyOut: AnyListener[] = [];

  constructor(io: Manager, nsp: string, opts: SocketOptions = {}) {
    super();
    this.io = io;
    this.nsp = nsp;
    this.opts = opts;
    this.auth = opts.auth;
    this.maxBuffered = opts.maxBufferedPackets ?? DEFAULT_MAX_BUFFERED;
    const dropped = () => this.droppedPackets++;
    this.acks = new AckRegistry(this.maxBuffered, dropped);
    if (opts.retries) {
      this.queue = new RetryQueue(
        opts.retries,
        this.maxBuffered,
        (args, flags) => {
          this.flags = flags;
          (this.emit as (...a: unknown[]) => this)(...args);
        },
        () => this.connected,
        dropped,
      );
    }
  }

  get disconnected(): boolean {
    return !this.connected;
  }

  /** True while the socket wants to be connected (connected, connecting or reconnecting). */
  get active(): boolean {
    return this.subs !== undefined;
  }

  /** @internal whether this socket wants its auth in the subprotocol header. */
  get _authInSubprotocol(): boolean {
    return this.opts.authInSubprotocol === true;
  }

  /** Connects (opening the manager's connection if needed). No-op when already active. */
  connect(): this {
    if (this.connected || this.subs) return this;
    const io = this.io;
    const on = <Ev extends "open" | "error" | "close">(ev: Ev, fn: any) => {
      io.on(ev, fn);
      return () => void io.off(ev, fn);
    };
    this.subs = [on("open", this.onOpen), on("error", this.onError), on("close", this.onClose)];
    if (!io._reconnecting) io.open();
    if (io._readyState === "open") this.onOpen();
    return this;
  }

  /** Alias of {@link connect}. */
  open(): this {
    return this.connect();
  }

  /** Shorthand for `emit("message", ...args)`. */
  send(...args: any[]): this {
    return (this.emit as (ev: string, ...a: unknown[]) => this)("message", ...args);
  }

  /**
   * Sends an event. A function as last argument receives the server's ack. While disconnected
   * the packet is buffered (volatile ones are dropped) and sent on connect.
   */
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): this {
    if (RESERVED_EVENTS.has(ev)) throw new Error(`"${ev}" is a reserved event name`);
    const flags = this.flags;
    this.flags = {};
    const data: unknown[] = [ev, ...args];
    if (this.queue && !flags.fromQueue && !flags.volatile) {
      this.queue.add(data, flags);
      return this;
    }
    const packet: EventPacket = { type: PacketType.EVENT, nsp: this.nsp, data };
    const last = data[data.length - 1];
    if (typeof last === "function") {
      data.pop();
      const timeout = flags.timeout ?? this.opts.ackTimeout;
      const errorFirst = timeout !== undefined || flags.fromQueue === true;
      packet.id = this.acks.register(last as AckCallback, errorFirst, timeout, (id) => this.unbuffer(id));
    }
    if (this.connected) {
      this.notifyOutgoing(data);
      this.io._packet(packet);
    } else if (flags.volatile) {
      this.droppedPackets++;
      if (packet.id !== undefined) this.acks.fail(packet.id, new RoomcastError(ErrorCode.ACK_CANCELLED, "volatile emit dropped while disconnected"));
    } else {
      if (this.sendBuffer.length >= this.maxBuffered) this.dropOldestBuffered();
      this.sendBuffer.push(packet);
    }
    return this;
  }

  /**
   * Emits and resolves with the ack's first argument. With `timeout(ms)`, `ackTimeout` or
   * `retries` it rejects on timeout or disconnect.
   */
  emitWithAck<Ev extends EventNames<EmitEvents>>(
    ev: Ev,
    ...args: AllButLast<EventParams<EmitEvents, Ev>>
  ): Promise<FirstNonErrorArg<Last<EventParams<EmitEvents, Ev>>>> {
    const errorFirst = this.flags.timeout !== undefined || this.opts.ackTimeout !== undefined || this.queue !== undefined;
    return new Promise((resolve, reject) => {
      const ack = errorFirst ? (err: Error | null, value: any) => (err ? reject(err) : resolve(value)) : resolve;
      (this.emit as (ev: string, ...a: unknown[]) => this)(ev, ...args, ack);
    });
  }

  /** Sets an ack timeout for the next emit; its callback becomes `(err, ...reply)`. */
  timeout(ms: number): Socket<ListenEvents, DecorateAcknowledgements<EmitEvents>> {
    this.flags.timeout = ms;
    return this as unknown as Socket<ListenEvents, DecorateAcknowledgements<EmitEvents>>;
  }

  /** The next emit is dropped, not buffered, if the socket is not connected. */
  get volatile(): this {
    this.flags.volatile = true;
    return this;
  }

  /**
   * Accepted for Socket.IO compatibility; compression is negotiated per connection
   * (permessage-deflate), not per packet, so this does nothing.
   */
  compress(_compress: boolean): this {
    return this;
  }

  /** Leaves the namespace; the connection closes when no namespace uses it any more. */
  disconnect(): this {
    const wasConnected = this.connected;
    if (wasConnected) this.io._packet({ type: PacketType.DISCONNECT, nsp: this.nsp });
    this.destroy();
    if (wasConnected) this.onClose("forced close");
    // nothing keeps a timer after an explicit disconnect, buffered emits included
    this.acks.failAll(new RoomcastError(ErrorCode.ACK_CANCELLED, "socket has been disconnected"));
    this.sendBuffer = this.sendBuffer.filter((packet) => packet.id === undefined);
    return this;
  }

  /** Alias of {@link disconnect}. */
  close(): this {
    return this.disconnect();
  }

  /** Adds a listener for every incoming event: `(event, ...args)`. */
  onAny(listener: AnyListener): this {
    this.anyIn.push(listener);
    return this;
  }
  prependAny(listener: AnyListener): this {
    this.anyIn.unshift(listener);
    return this;
  }
  offAny(listener?: AnyListener): this {
    this.anyIn = listener ? this.anyIn.filter((l) => l !== listener) : [];
    return this;
  }
  listenersAny(): AnyListener[] {
    return this.anyIn.slice();
  }
  /** Adds a listener for every outgoing event, called when the packet is sent. */
  onAnyOutgoing(listener: AnyListener): this {
    this.anyOut.push(listener);
    return this;
  }
  prependAnyOutgoing(listener: AnyListener): this {
    this.anyOut.unshift(listener);
    return this;
  }
  offAnyOutgoing(listener?: AnyListener): this {
    this.anyOut = listener ? this.anyOut.filter((l) => l !== listener) : [];
    return this;
  }
  listenersAnyOutgoing(): AnyListener[] {
    return this.anyOut.slice();
  }

  /** @internal resolves `auth` (calling it if it is a function). */
  _resolveAuth(callback: (auth: Record<string, unknown> | undefined) => void): void {
    const auth = this.auth;
    if (typeof auth === "function") auth(callback);
    else callback(auth);
  }

  /** @internal a packet of this namespace, from the manager. */
  _onPacket(packet: Packet): void {
    switch (packet.type) {
      case PacketType.CONNECTED:
        return this.onConnected(packet.info);
      case PacketType.CONNECT_ERROR: {
        // a rejected namespace stays down until connect() is called again, as in Socket.IO
        this.destroy();
        const err: ConnectError = new Error(packet.message);
        if (packet.data !== undefined) err.data = packet.data;
        return this.emitReserved("connect_error", err);
      }
      case PacketType.EVENT:
      case PacketType.EVENT_AT:
        return this.onEvent(packet.data, packet.type === PacketType.EVENT ? packet.id : undefined);
      case PacketType.ACK:
        return this.acks.resolve(packet.id, packet.data);
      case PacketType.DISCONNECT:
        this.destroy();
        return this.onClose("io server disconnect");
    }
  }

  private readonly onOpen = (): void => {
    const io = this.io;
    const generation = io._generation;
    const sendConnect = (auth: Record<string, unknown> | undefined) => {
      // the auth callback may answer late: only for this connection, and only if still wanted
      if (!this.subs || io._generation !== generation || io._readyState !== "open") return;
      io._packet(auth && typeof auth === "object" ? { type: PacketType.CONNECT, nsp: this.nsp, auth } : { type: PacketType.CONNECT, nsp: this.nsp });
    };
    const prepared = this._preparedAuth;
    this._preparedAuth = undefined;
    if (prepared) sendConnect(prepared);
    else this._resolveAuth(sendConnect);
  };

  private readonly onError = (err: Error): void => {
    if (!this.connected) this.emitReserved("connect_error", err);
  };

  private readonly onClose = (reason: ManagerCloseReason | DisconnectReason, description?: DisconnectDescription): void => {
    if (!this.connected) return;
    this.connected = false;
    this.id = undefined;
    this.emitReserved("disconnect", reason === "forced close" ? "io client disconnect" : reason, description);
    // acks of packets that reached the old connection can never arrive; buffered ones still can
    const buffered = new Set(this.sendBuffer.map((packet) => packet.id));
    this.acks.failAll(new RoomcastError(ErrorCode.ACK_CANCELLED, "socket has been disconnected"), (id) => buffered.has(id));
  };

  private onConnected(info: ConnectedInfo): void {
    this.id = info.sid;
    this.recovered = info.recovered === true;
    this.connected = true;
    const buffered = this.sendBuffer;
    this.sendBuffer = [];
    for (const packet of buffered) {
      this.notifyOutgoing(packet.data);
      this.io._packet(packet);
    }
    this.emitReserved("connect");
    this.queue?.drain(true);
  }

  private onEvent(data: unknown[], id: number | undefined): void {
    if (!this.connected || RESERVED_EVENTS.has(data[0] as string)) return;
    const args = data.slice();
    if (id !== undefined) {
      let sent = false;
      args.push((...reply: unknown[]) => {
        if (sent) return;
        sent = true;
        this.io._packet({ type: PacketType.ACK, nsp: this.nsp, id, data: reply });
      });
    }
    for (const listener of this.anyIn.slice()) listener(...(args as [string]));
    this._emitter.emit(...(args as [string]));
  }

  private notifyOutgoing(data: unknown[]): void {
    if (this.anyOut.length === 0) return;
    for (const listener of this.anyOut.slice()) listener(...(data as [string]));
  }

  private unbuffer(id: number): void {
    const index = this.sendBuffer.findIndex((packet) => packet.id === id);
    if (index !== -1) this.sendBuffer.splice(index, 1);
  }

  private dropOldestBuffered(): void {
    const [dropped] = this.sendBuffer.splice(0, 1);
    this.droppedPackets++;
    if (dropped?.id !== undefined) this.acks.fail(dropped.id, new RoomcastError(ErrorCode.ACK_CANCELLED, "send buffer is full"));
  }

  private destroy(): void {
    if (!this.subs) return;
    for (const unsubscribe of this.subs) unsubscribe();
    this.subs = undefined;
    this.io._destroy(this);
  }
}
