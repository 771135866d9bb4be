import { type ConnectedInfo, type ConnectPacket, type EventPacket, type Packet, RESERVED_EVENTS } from "@roomcast/protocol";
import { type AckCallback, ackError, AckRegistry } from "./ack/ack-registry.js";
import { resolveOptions } from "./client-options.js";
import { type EmitFlags, RetryQueue } from "./ack/retry-queue.js";
import type { Manager } from "./manager.js";
import type { DisconnectDescription, DisconnectReason, ManagerCloseReason } from "./disconnect-reasons.js";
export type { DisconnectDescription, DisconnectReason } from "./disconnect-reasons.js";
import { ReadyState } from "./ready-state.js";
import { Recovery } from "./recovery.js";
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

/** `connect_error` payload: a middleware's `err.message` and `err.data`, or a transport error. */
export interface ConnectError extends Error {
  data?: unknown;
}

export interface SocketReservedEvents {
  connect: () => void;
  connect_error: (err: ConnectError) => void;
  disconnect: (reason: DisconnectReason, description?: DisconnectDescription) => void;
  /** A server-side error about this socket, e.g. `{code: "ERR_RATE_LIMITED"}` when events were dropped. */
  error: (err: { code: string; message: string }) => void;
}

type AnyListener = (event: string, ...args: any[]) => void;

/* Socket.IO's message, which apps may already match on */
const DISCONNECTED = "socket has been disconnected";

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
  /** @internal */
  readonly _opts: SocketOptions;
  /** @internal true while the socket wants to be connected; the manager reports only to these. */
  _active = false;
  private readonly _max: number;
  private readonly _acks: AckRegistry;
  private readonly _queue: RetryQueue | undefined;
  private _flags: EmitFlags = {};
  private _anyIn: AnyListener[] = [];
  private _anyOut: AnyListener[] = [];
  private readonly _recovery = new Recovery();

  /** @throws TypeError for an unknown or unsupported option, or a value of the wrong type or range. */
  constructor(io: Manager, nsp: string, opts?: SocketOptions) {
    super();
    this.io = io;
    this.nsp = nsp;
    opts = this._opts = resolveOptions({}, opts);
    this.auth = opts.auth;
    const max = (this._max = opts.maxBufferedPackets ?? DEFAULT_MAX_BUFFERED);
    const dropped = () => this.droppedPackets++;
    this._acks = new AckRegistry(max, dropped);
    if (opts.retries) {
      this._queue = new RetryQueue(
        opts.retries,
        max,
        (args, flags) => {
          this._flags = flags;
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
    return this._active;
  }

  /** Connects (opening the manager's connection if needed). No-op when already active. */
  connect(): this {
    if (this._active) return this;
    this._active = true;
    const io = this.io;
    if (!io._reconnecting) io.open();
    if (io._readyState === ReadyState.OPEN) this._onOpen();
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
    const flags = this._flags;
    this._flags = {};
    const data: unknown[] = [ev, ...args];
    if (this._queue && !flags._fromQueue && !flags._volatile) {
      this._queue._add(data, flags);
      return this;
    }
    const packet: EventPacket = { type: 4 /* EVENT */, nsp: this.nsp, data };
    if (typeof data[data.length - 1] === "function") {
      const timeout = flags._timeout ?? this._opts.ackTimeout;
      const errorFirst = timeout !== undefined || flags._fromQueue === true;
      packet.id = this._acks._register(data.pop() as AckCallback, errorFirst, timeout, (id) => this._unbuffer(id));
    }
    if (this.connected) {
      this._send(packet);
    } else if (flags._volatile) {
      this.droppedPackets++;
      this._acks._settle(packet.id, ackError("volatile emit dropped while disconnected"));
    } else {
      if (this.sendBuffer.length >= this._max) {
        const [dropped] = this.sendBuffer.splice(0, 1);
        this.droppedPackets++;
        this._acks._settle(dropped?.id, ackError("send buffer is full"));
      }
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
    const errorFirst = this._flags._timeout !== undefined || this._opts.ackTimeout !== undefined || this._queue !== undefined;
    return new Promise((resolve, reject) => {
      const ack = errorFirst ? (err: Error | null, value: any) => (err ? reject(err) : resolve(value)) : resolve;
      (this.emit as (ev: string, ...a: unknown[]) => this)(ev, ...args, ack);
    });
  }

  /** Sets an ack timeout for the next emit; its callback becomes `(err, ...reply)`. */
  timeout(ms: number): Socket<ListenEvents, DecorateAcknowledgements<EmitEvents>> {
    this._flags._timeout = ms;
    return this as unknown as Socket<ListenEvents, DecorateAcknowledgements<EmitEvents>>;
  }

  /** The next emit is dropped, not buffered, if the socket is not connected. */
  get volatile(): this {
    this._flags._volatile = true;
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
    if (this.connected) this.io._packet({ type: 3 /* DISCONNECT */, nsp: this.nsp });
    this._destroy();
    this._onClose("forced close");
    // nothing keeps a timer after an explicit disconnect, buffered emits included
    this._acks._failAll(ackError(DISCONNECTED));
    this.sendBuffer = this.sendBuffer.filter((packet) => packet.id === undefined);
    return this;
  }

  /** Alias of {@link disconnect}. */
  close(): this {
    return this.disconnect();
  }

  /** Adds a listener for every incoming event: `(event, ...args)`. */
  onAny(listener: AnyListener): this {
    this._anyIn.push(listener);
    return this;
  }
  prependAny(listener: AnyListener): this {
    this._anyIn.unshift(listener);
    return this;
  }
  offAny(listener?: AnyListener): this {
    this._anyIn = listener ? this._anyIn.filter((l) => l !== listener) : [];
    return this;
  }
  listenersAny(): AnyListener[] {
    return this._anyIn.slice();
  }
  /** Adds a listener for every outgoing event, called when the packet is sent. */
  onAnyOutgoing(listener: AnyListener): this {
    this._anyOut.push(listener);
    return this;
  }
  prependAnyOutgoing(listener: AnyListener): this {
    this._anyOut.unshift(listener);
    return this;
  }
  offAnyOutgoing(listener?: AnyListener): this {
    this._anyOut = listener ? this._anyOut.filter((l) => l !== listener) : [];
    return this;
  }
  listenersAnyOutgoing(): AnyListener[] {
    return this._anyOut.slice();
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
      case 1 /* CONNECTED */:
        return this._onConnected(packet.info);
      case 2 /* CONNECT_ERROR */: {
        // a rejected namespace stays down until connect() is called again, as in Socket.IO
        this._destroy();
        const err: ConnectError = new Error(packet.message);
        if (packet.data !== undefined) err.data = packet.data;
        return this._emitReserved("connect_error", err);
      }
      case 4 /* EVENT */:
        return this._onEvent(packet.data, packet.id);
      case 8 /* EVENT_AT */: {
        const recovery = this._recovery;
        const replaying = recovery._pending > 0;
        // a position already processed is a duplicate: never dispatched twice
        if (recovery._accept(packet.position)) this._onEvent(packet.data, undefined);
        if (replaying && !--recovery._pending) this._ready();
        return;
      }
      case 6 /* ACK */:
        return this._acks._settle(packet.id, null, packet.data);
      case 3 /* DISCONNECT */:
        this._destroy();
        return this._onClose("io server disconnect");
    }
  }

  /** @internal the manager's connection opened: ask to join the namespace. */
  _onOpen(): void {
    const io = this.io;
    const generation = io._generation;
    const sendConnect = (auth: Record<string, unknown> | undefined) => {
      // the auth callback may answer late: only for this connection, and only if still wanted
      if (this._active && io._generation === generation && io._readyState === ReadyState.OPEN) {
        const packet: ConnectPacket = { type: 0 /* CONNECT */, nsp: this.nsp };
        if (auth && typeof auth === "object") packet.auth = auth;
        const resume = this._recovery._request();
        if (resume) packet.resume = resume;
        io._packet(packet);
      }
    };
    const prepared = this._preparedAuth;
    this._preparedAuth = undefined;
    if (prepared) sendConnect(prepared);
    else this._resolveAuth(sendConnect);
  }

  /** @internal the manager's connection failed to open. */
  _onError(err: Error): void {
    if (!this.connected) this._emitReserved("connect_error", err);
  }

  /** @internal the namespace was left: by the server, by us, or with the connection. */
  _onClose(reason: ManagerCloseReason | DisconnectReason, description?: DisconnectDescription): void {
    // a replay cut short: the position reached so far is where the next resume starts
    this._recovery._pending = 0;
    if (!this.connected) return;
    this.connected = false;
    this.id = undefined;
    this._emitReserved("disconnect", reason === "forced close" ? "io client disconnect" : reason, description);
    // acks of packets that reached the old connection can never arrive; buffered ones still can
    const buffered = new Set(this.sendBuffer.map((packet) => packet.id));
    this._acks._failAll(ackError(DISCONNECTED), (id) => buffered.has(id));
  }

  private _onConnected(info: ConnectedInfo): void {
    this.id = info.sid;
    this.recovered = info.recovered === true;
    // a recovered session hears what it missed before "connect"
    if (!this._recovery._connected(info)) this._ready();
  }

  private _ready(): void {
    this.connected = true;
    const buffered = this.sendBuffer;
    this.sendBuffer = [];
    for (const packet of buffered) this._send(packet);
    this._emitReserved("connect");
    this._queue?._drain(true);
  }

  private _onEvent(data: unknown[], id: number | undefined): void {
    if ((!this.connected && !this._recovery._pending) || RESERVED_EVENTS.has(data[0] as string)) return;
    const args = data.slice();
    if (id !== undefined) {
      let sent = false;
      args.push((...reply: unknown[]) => {
        if (!sent) this.io._packet({ type: 6 /* ACK */, nsp: this.nsp, id, data: reply });
        sent = true;
      });
    }
    for (const listener of this._anyIn.slice()) listener(...(args as [string]));
    this._emitter.emit(...(args as [string]));
  }

  /** Sends a packet on the open connection and tells the outgoing catch-all listeners. */
  private _send(packet: EventPacket): void {
    for (const listener of this._anyOut.slice()) listener(...(packet.data as [string]));
    this.io._packet(packet);
  }

  private _unbuffer(id: number): void {
    const index = this.sendBuffer.findIndex((packet) => packet.id === id);
    if (index !== -1) this.sendBuffer.splice(index, 1);
  }

  private _destroy(): void {
    if (!this._active) return;
    this._active = false;
    this.io._destroy();
  }
}
