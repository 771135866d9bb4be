import { type ConnectPacket, type EventPacket, type Packet, RESERVED_EVENTS } from "@roomcast/protocol";
import { type AckCallback, ackError, type AckRegistry, ackRegistry } from "./ack/ack-registry.js";
import { resolveOptions } from "./client-options.js";
import { type EmitFlags, type RetryQueue, retryQueue } from "./ack/retry-queue.js";
import type { Manager } from "./manager.js";
import type { DisconnectDescription, DisconnectReason, ManagerCloseReason } from "./disconnect-reasons.js";
export type { DisconnectDescription, DisconnectReason } from "./disconnect-reasons.js";
import { OPEN } from "./ready-state.js";
import { type Recovery, recovery } from "./recovery.js";
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
  /**
   * Resends of an unacknowledged emit (needs `ackTimeout`). Every send of one emit carries the same
   * id, so the server runs its handler once and answers a resend with the first reply: exactly
   * once within a session (across reconnects with the server's connection-state recovery).
   * Default: 0.
   */
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

/* the empty catch-all list, one for every socket (lists are replaced, never changed in place) */
const NO_LISTENERS: AnyListener[] = [];

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
  /** @internal true while the socket wants to be connected; the manager reports only to these. */
  _active = false;
  /*
   * Catch-all listeners, incoming and outgoing. Each list is replaced, never changed in place, as
   * the emitter's are: an event runs the list it read without copying it. Declared here, next to
   * the other fields an incoming event reads: with many clients in a process each event finds its
   * socket out of the CPU's cache, and every further cache line it touches costs another fetch.
   */
  #anyIn = NO_LISTENERS;
  #anyOut = NO_LISTENERS;
  /** True when the server restored the previous session on this connect. */
  recovered = false;
  auth: SocketAuth | undefined;
  /** Emits made while disconnected, sent in order on connect. */
  sendBuffer: EventPacket[] = [];
  /** Packets this socket gave up on: volatile emits while disconnected and overflow of the bounded buffers. */
  droppedPackets = 0;

  /** @internal */
  readonly _opts: SocketOptions;

  /* `#` members: bundlers shorten their names, and nothing outside this class reaches them */
  readonly #max: number;
  readonly #acks: AckRegistry;
  readonly #queue: RetryQueue | undefined;
  #flags: EmitFlags = {};
  readonly #recovery: Recovery = recovery();
  /** Auth already resolved for this connection (`authInSubprotocol`). */
  #preparedAuth: Record<string, unknown> | undefined;

  /** @throws TypeError for an unknown or unsupported option, or a value of the wrong type or range. */
  constructor(io: Manager, nsp: string, opts?: SocketOptions) {
    super();
    this.io = io;
    this.nsp = nsp;
    opts = this._opts = resolveOptions({}, opts);
    this.auth = opts.auth;
    const max = (this.#max = opts.maxBufferedPackets ?? DEFAULT_MAX_BUFFERED);
    const dropped = () => this.droppedPackets++;
    this.#acks = ackRegistry(max, dropped);
    if (opts.retries) {
      this.#queue = retryQueue(
        opts.retries,
        max,
        (args, flags) => {
          this.#flags = flags;
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
    if (io._readyState === OPEN) this._onOpen();
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
    const flags = this.#flags;
    this.#flags = {};
    const data: unknown[] = [ev, ...args];
    if (this.#queue && !flags._fromQueue && !flags._volatile) {
      this.#queue._add(data, flags);
      return this;
    }
    const packet: EventPacket = { type: 4 /* EVENT */, nsp: this.nsp, data };
    const acks = this.#acks;
    if (typeof data[data.length - 1] === "function") {
      const timeout = flags._timeout ?? this._opts.ackTimeout;
      const errorFirst = timeout !== undefined || flags._fromQueue === true;
      packet.id = flags._id = acks._register(data.pop() as AckCallback, errorFirst, timeout, (id) => this.#unbuffer(id), flags._id);
      packet.once = flags._fromQueue;
    }
    if (this.connected) {
      this.#send(packet);
    } else if (flags._volatile) {
      this.droppedPackets++;
      acks._settle(packet.id, ackError("volatile emit dropped while disconnected"));
    } else {
      if (this.sendBuffer.length >= this.#max) {
        const [dropped] = this.sendBuffer.splice(0, 1);
        this.droppedPackets++;
        acks._settle(dropped?.id, ackError("send buffer is full"));
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
    const errorFirst = this.#flags._timeout !== undefined || this._opts.ackTimeout !== undefined || this.#queue !== undefined;
    return new Promise((resolve, reject) => {
      const ack = errorFirst ? (err: Error | null, value: any) => (err ? reject(err) : resolve(value)) : resolve;
      (this.emit as (ev: string, ...a: unknown[]) => this)(ev, ...args, ack);
    });
  }

  /** Sets an ack timeout for the next emit; its callback becomes `(err, ...reply)`. */
  timeout(ms: number): Socket<ListenEvents, DecorateAcknowledgements<EmitEvents>> {
    this.#flags._timeout = ms;
    return this as unknown as Socket<ListenEvents, DecorateAcknowledgements<EmitEvents>>;
  }

  /** The next emit is dropped, not buffered, if the socket is not connected. */
  get volatile(): this {
    this.#flags._volatile = true;
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
    this.#destroy();
    this._onClose("forced close");
    // nothing keeps a timer after an explicit disconnect, buffered emits included
    this.#acks._failAll(ackError(DISCONNECTED));
    this.sendBuffer = this.sendBuffer.filter((packet) => packet.id === undefined);
    return this;
  }

  /** Alias of {@link disconnect}. */
  close(): this {
    return this.disconnect();
  }

  /** Adds a listener for every incoming event: `(event, ...args)`. */
  onAny(listener: AnyListener): this {
    this.#anyIn = [...this.#anyIn, listener];
    return this;
  }
  prependAny(listener: AnyListener): this {
    this.#anyIn = [listener, ...this.#anyIn];
    return this;
  }
  /** Removes one listener, or all of them. */
  offAny(listener?: AnyListener): this {
    this.#anyIn = listener ? this.#anyIn.filter((l) => l !== listener) : NO_LISTENERS;
    return this;
  }
  listenersAny(): AnyListener[] {
    return this.#anyIn.slice();
  }
  /** Adds a listener for every outgoing event, called when the packet is sent. */
  onAnyOutgoing(listener: AnyListener): this {
    this.#anyOut = [...this.#anyOut, listener];
    return this;
  }
  prependAnyOutgoing(listener: AnyListener): this {
    this.#anyOut = [listener, ...this.#anyOut];
    return this;
  }
  offAnyOutgoing(listener?: AnyListener): this {
    this.#anyOut = listener ? this.#anyOut.filter((l) => l !== listener) : NO_LISTENERS;
    return this;
  }
  listenersAnyOutgoing(): AnyListener[] {
    return this.#anyOut.slice();
  }

  /**
   * @internal With `authInSubprotocol`: resolves `auth` for the manager's next connection, keeps
   * it for that connection's CONNECT (so an auth function runs once per connection) and passes it on.
   */
  _prepareAuth(callback: (auth: Record<string, unknown> | undefined) => void): void {
    this.#resolveAuth((auth) => callback((this.#preparedAuth = auth)));
  }

  /** @internal a packet of this namespace, from the manager. */
  _onPacket(packet: Packet): void {
    switch (packet.type) {
      case 1 /* CONNECTED */: {
        const info = packet.info;
        this.id = info.sid;
        this.recovered = info.recovered === true;
        // a recovered session hears what it missed before "connect"
        if (!this.#recovery._connected(info)) this.#ready();
        return;
      }
      case 2 /* CONNECT_ERROR */: {
        // a rejected namespace stays down until connect() is called again, as in Socket.IO
        this.#destroy();
        const err: ConnectError = new Error(packet.message);
        if (packet.data !== undefined) err.data = packet.data;
        return this._emitReserved("connect_error", err);
      }
      case 4 /* EVENT */:
        return this.#onEvent(packet.data, packet.id);
      case 8 /* EVENT_AT */: {
        const recovery = this.#recovery;
        const replaying = recovery._pending > 0;
        // a position already processed is a duplicate: never dispatched twice
        if (recovery._accept(packet.position)) this.#onEvent(packet.data);
        if (replaying && !--recovery._pending) this.#ready();
        return;
      }
      case 6 /* ACK */:
        return this.#acks._settle(packet.id, null, packet.data);
      case 3 /* DISCONNECT */:
        this.#destroy();
        return this._onClose("io server disconnect");
    }
  }

  /** @internal the manager's connection opened: ask to join the namespace. */
  _onOpen(): void {
    const io = this.io;
    const generation = io._generation;
    const sendConnect = (auth: Record<string, unknown> | undefined) => {
      // the auth callback may answer late: only for this connection (the generation changes when
      // it drops), and only if still wanted
      if (this._active && io._generation === generation) {
        const packet: ConnectPacket = { type: 0 /* CONNECT */, nsp: this.nsp };
        if (auth && typeof auth === "object") packet.auth = auth;
        const resume = this.#recovery._request();
        if (resume) packet.resume = resume;
        io._packet(packet);
      }
    };
    const prepared = this.#preparedAuth;
    this.#preparedAuth = undefined;
    if (prepared) sendConnect(prepared);
    else this.#resolveAuth(sendConnect);
  }

  /** @internal the manager's connection failed to open. */
  _onError(err: Error): void {
    if (!this.connected) this._emitReserved("connect_error", err);
  }

  /** @internal the namespace was left: by the server, by us, or with the connection. */
  _onClose(reason: ManagerCloseReason | DisconnectReason, description?: DisconnectDescription): void {
    // a replay cut short: the position reached so far is where the next resume starts
    this.#recovery._pending = 0;
    if (!this.connected) return;
    this.connected = false;
    this.id = undefined;
    this._emitReserved("disconnect", reason === "forced close" ? "io client disconnect" : reason, description);
    // acks of packets that reached the old connection can never arrive; buffered ones still can
    const buffered = new Set(this.sendBuffer.map((packet) => packet.id));
    this.#acks._failAll(ackError(DISCONNECTED), (id) => buffered.has(id));
  }

  /* resolves `auth`, calling it if it is a function */
  #resolveAuth(callback: (auth: Record<string, unknown> | undefined) => void): void {
    const auth = this.auth;
    if (typeof auth === "function") auth(callback);
    else callback(auth);
  }

  #ready(): void {
    this.connected = true;
    const buffered = this.sendBuffer;
    this.sendBuffer = [];
    for (const packet of buffered) this.#send(packet);
    this._emitReserved("connect");
    this.#queue?._drain(true);
  }

  /* an event from the server: to the catch-all listeners, then to the event's own */
  #onEvent(data: unknown[], id?: number): void {
    if ((!this.connected && !this.#recovery._pending) || RESERVED_EVENTS.has(data[0] as string)) return;
    if (id !== undefined) {
      let sent = false;
      data.push((...reply: unknown[]) => {
        if (!sent) this.io._packet({ type: 6 /* ACK */, nsp: this.nsp, id, data: reply });
        sent = true;
      });
    }
    // the decoder made `data` for this packet alone, so it is handed on as it is
    for (const listener of this.#anyIn) listener(...(data as [string]));
    this._emitArray(data);
  }

  /** Sends a packet on the open connection and tells the outgoing catch-all listeners. */
  #send(packet: EventPacket): void {
    for (const listener of this.#anyOut) listener(...(packet.data as [string]));
    this.io._packet(packet);
  }

  #unbuffer(id: number): void {
    const index = this.sendBuffer.findIndex((packet) => packet.id === id);
    if (index !== -1) this.sendBuffer.splice(index, 1);
  }

  #destroy(): void {
    if (!this._active) return;
    this._active = false;
    this.io._destroy();
  }
}
