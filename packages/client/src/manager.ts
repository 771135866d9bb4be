import { type Codec, FROM_SERVER, jsonCodec, type Packet, PacketType, ProtocolError } from "@roomcast/protocol";
import { openWebSocket } from "#websocket";
import { authSubprotocol } from "./auth-subprotocol.js";
import { Backoff } from "./backoff.js";
import { type DisconnectDescription, type DisconnectReason, Socket, type SocketOptions } from "./socket.js";
import type { Transport, TransportHandlers } from "./transport/websocket-types.js";
import { TypedEmitter } from "./typed-events.js";
import { parseUrl } from "./url.js";

export interface ManagerOptions {
  /** Server endpoint path. Default: "/roomcast". */
  path: string;
  /** Reconnect automatically. Default: true. */
  reconnection: boolean;
  /** Attempts before `reconnect_failed`. Default: Infinity. */
  reconnectionAttempts: number;
  /** Base of the exponential backoff, ms. Default: 1000. */
  reconnectionDelay: number;
  /** Largest backoff delay, ms. Default: 5000. */
  reconnectionDelayMax: number;
  /** Random share of each delay, 0..1. Default: 1 (full jitter; Socket.IO uses 0.5). */
  randomizationFactor: number;
  /** ms allowed for the WebSocket to open and for the first CONNECTED to arrive. Default: 20000. */
  timeout: number;
  /** Connect as soon as a socket is created. Default: true. */
  autoConnect: boolean;
  /**
   * Codec to offer. Default: the JSON codec. Pass `msgpackCodec` from "@roomcast/protocol/msgpack"
   * for binary frames; JSON stays offered as the fallback.
   */
  codec: Codec;
  /** Added to the endpoint URL's query string (`socket.handshake.query` on the server). */
  query: Record<string, string>;
  /** Extra HTTP headers on the upgrade request. Node only. */
  extraHeaders: Record<string, string>;
}

/** Why the manager's connection closed. "forced close" is a close the client asked for. */
export type ManagerCloseReason = Exclude<DisconnectReason, "io server disconnect" | "io client disconnect"> | "forced close";

export interface ManagerReservedEvents {
  open: () => void;
  error: (err: Error) => void;
  ping: () => void;
  close: (reason: ManagerCloseReason, description?: DisconnectDescription) => void;
  reconnect_attempt: (attempt: number) => void;
  reconnect: (attempt: number) => void;
  reconnect_error: (err: Error) => void;
  reconnect_failed: () => void;
}

type ReadyState = "closed" | "opening" | "open";

const DEFAULTS: ManagerOptions = {
  path: "/roomcast",
  reconnection: true,
  reconnectionAttempts: Infinity,
  reconnectionDelay: 1000,
  reconnectionDelayMax: 5000,
  randomizationFactor: 1,
  timeout: 20_000,
  autoConnect: true,
  codec: jsonCodec,
  query: {},
  extraHeaders: {},
};

interface OnlineTarget {
  addEventListener?: (type: string, listener: () => void) => void;
  removeEventListener?: (type: string, listener: () => void) => void;
}

/**
 * Owns one WebSocket and multiplexes namespace sockets over it: codec, heartbeat watchdog and
 * reconnection (`socket.io` on a socket).
 *
 * @example
 * ```ts
 * const manager = new Manager("https://host", { reconnectionDelayMax: 10_000 });
 * const admin = manager.socket("/admin");
 * ```
 */
export class Manager extends TypedEmitter<Record<never, never>, ManagerReservedEvents> {
  /** Namespace sockets by name. */
  readonly nsps = new Map<string, Socket<any, any>>();
  /** The codec of the current connection (the server may fall back to JSON). */
  codec: Codec;
  /** @internal */
  _readyState: ReadyState = "closed";
  /** @internal */
  _reconnecting = false;
  /** @internal incremented per WebSocket; late callbacks of older ones compare against it. */
  _generation = 0;
  /** @internal */
  readonly _autoConnect: boolean;

  private readonly opts: ManagerOptions;
  private readonly url: string;
  private readonly backoff: Backoff;
  private transport: Transport | undefined;
  private skipReconnect = false;
  private transportError: Error | undefined;
  private lastReceived = 0;
  /** Silence allowed before the connection counts as dead: `timeout`, then pingInterval + pingTimeout. */
  private window = 0;
  private watchdog: ReturnType<typeof setTimeout> | undefined;
  private openCallback: ((err?: Error) => void) | undefined;

  constructor(uri?: string | Partial<ManagerOptions>, opts?: Partial<ManagerOptions>) {
    super();
    if (typeof uri === "object") [uri, opts] = [undefined, uri];
    this.opts = { ...DEFAULTS, ...opts };
    const url = new URL(parseUrl(uri, this.opts.path).href);
    for (const [key, value] of Object.entries(this.opts.query)) url.searchParams.set(key, value);
    this.url = url.href;
    this.codec = this.opts.codec;
    this._autoConnect = this.opts.autoConnect;
    this.backoff = new Backoff({
      min: this.opts.reconnectionDelay,
      max: this.opts.reconnectionDelayMax,
      jitter: this.opts.randomizationFactor,
    });
  }

  reconnection(): boolean;
  reconnection(v: boolean): this;
  reconnection(v?: boolean): this | boolean {
    if (v === undefined) return this.opts.reconnection;
    this.opts.reconnection = v;
    if (!v) this.skipReconnect = true;
    return this;
  }
  reconnectionAttempts(): number;
  reconnectionAttempts(v: number): this;
  reconnectionAttempts(v?: number): this | number {
    if (v === undefined) return this.opts.reconnectionAttempts;
    this.opts.reconnectionAttempts = v;
    return this;
  }
  reconnectionDelay(): number;
  reconnectionDelay(v: number): this;
  reconnectionDelay(v?: number): this | number {
    if (v === undefined) return this.opts.reconnectionDelay;
    this.opts.reconnectionDelay = v;
    this.backoff.setMin(v);
    return this;
  }
  reconnectionDelayMax(): number;
  reconnectionDelayMax(v: number): this;
  reconnectionDelayMax(v?: number): this | number {
    if (v === undefined) return this.opts.reconnectionDelayMax;
    this.opts.reconnectionDelayMax = v;
    this.backoff.setMax(v);
    return this;
  }
  randomizationFactor(): number;
  randomizationFactor(v: number): this;
  randomizationFactor(v?: number): this | number {
    if (v === undefined) return this.opts.randomizationFactor;
    this.opts.randomizationFactor = v;
    this.backoff.setJitter(v);
    return this;
  }
  timeout(): number;
  timeout(v: number): this;
  timeout(v?: number): this | number {
    if (v === undefined) return this.opts.timeout;
    this.opts.timeout = v;
    return this;
  }

  /** The socket of namespace `nsp`, created on first use (one per namespace per manager). */
  socket<L extends Record<string, any> = any, E extends Record<string, any> = L>(nsp: string, opts?: SocketOptions): Socket<L, E> {
    let socket = this.nsps.get(nsp);
    if (!socket) {
      socket = new Socket(this, nsp, opts);
      this.nsps.set(nsp, socket);
    }
    if (this._autoConnect && !socket.active) socket.connect();
    return socket as Socket<L, E>;
  }

  /** Opens the connection if it is closed; `callback` hears the outcome of this attempt. */
  open(callback?: (err?: Error) => void): this {
    if (this._readyState !== "closed") return this;
    this._readyState = "opening";
    this.skipReconnect = false;
    this.transportError = undefined;
    this.openCallback = callback;
    const generation = ++this._generation;
    const codec = this.opts.codec;
    const protocols = codec === jsonCodec ? [jsonCodec.subprotocol] : [codec.subprotocol, jsonCodec.subprotocol];
    const start = (authEntry?: string) => {
      if (generation !== this._generation || this._readyState !== "opening") return;
      this.transport = openWebSocket(
        this.url,
        authEntry ? [...protocols, authEntry] : protocols,
        { extraHeaders: this.opts.extraHeaders },
        this.handlers(generation),
      );
    };
    this.lastReceived = Date.now();
    this.window = this.opts.timeout;
    this.armWatchdog();
    const authSocket = [...this.nsps.values()].find((s) => s.active && s._authInSubprotocol);
    if (authSocket) {
      authSocket._resolveAuth((auth) => {
        authSocket._preparedAuth = auth;
        start(auth ? authSubprotocol(auth) : undefined);
      });
    } else {
      start();
    }
    return this;
  }

  /** Alias of {@link open}. */
  connect(callback?: (err?: Error) => void): this {
    return this.open(callback);
  }

  /** Closes the connection and stops reconnecting; every socket of this manager disconnects. */
  close(): this {
    this.skipReconnect = true;
    this._reconnecting = false;
    this.stopReconnectWait();
    this.backoff.reset();
    if (this._readyState === "open") {
      this.onClose("forced close");
    } else if (this._readyState === "opening") {
      this.dropTransport(false);
      this._readyState = "closed";
    }
    return this;
  }

  /** Alias of {@link close}. */
  disconnect(): this {
    return this.close();
  }

  /** @internal sends a packet on the open connection. */
  _packet(packet: Packet): void {
    if (this._readyState === "open") this.transport?.send(this.codec.encode(packet));
  }

  /** @internal a socket stopped wanting the connection; close it when none does. */
  _destroy(_socket: Socket<any, any>): void {
    for (const socket of this.nsps.values()) if (socket.active) return;
    this.close();
  }

  private handlers(generation: number): TransportHandlers {
    const current = () => generation === this._generation;
    return {
      onOpen: (protocol) => current() && this.onOpen(protocol),
      onMessage: (data) => current() && this.onMessage(data),
      onError: (err) => {
        if (!current()) return;
        if (this._readyState === "opening") this.onOpenFailed(err);
        else this.transportError = err;
      },
      onClose: (code, reason) => {
        if (!current()) return;
        if (this._readyState === "opening") return this.onOpenFailed(new Error(`websocket closed (${code})`));
        // 4001: the server heard nothing from us in time
        const why = code === 4001 ? "ping timeout" : this.transportError ? "transport error" : "transport close";
        this.onClose(why, { code, reason, error: this.transportError });
      },
    };
  }

  private onOpen(protocol: string): void {
    this.codec = protocol === jsonCodec.subprotocol ? jsonCodec : this.opts.codec;
    this._readyState = "open";
    this.lastReceived = Date.now();
    const callback = this.openCallback;
    this.openCallback = undefined;
    this.emitReserved("open");
    callback?.();
  }

  private onOpenFailed(err: Error): void {
    this.dropTransport(true);
    this._readyState = "closed";
    this.emitReserved("error", err);
    const callback = this.openCallback;
    this.openCallback = undefined;
    if (callback) callback(err);
    else if (!this._reconnecting && this.opts.reconnection && this.backoff.attempts === 0) this.reconnect();
  }

  private onMessage(data: string | Uint8Array): void {
    this.lastReceived = Date.now();
    let packet: Packet;
    try {
      packet = this.codec.decode(data, FROM_SERVER);
    } catch (err) {
      const code = err instanceof ProtocolError && err.closeCode ? err.closeCode : 1002;
      this.transport?.close(code, "parse error");
      return this.onClose("parse error", { code, error: err as Error });
    }
    if (packet.type === PacketType.HEARTBEAT) {
      this._packet(packet);
      return this.emitReserved("ping");
    }
    if (packet.type === PacketType.CONNECTED) {
      const { pingInterval, pingTimeout } = packet.info;
      if (typeof pingInterval === "number" && typeof pingTimeout === "number") {
        this.window = pingInterval + pingTimeout;
        // the watchdog was armed for the (longer) `timeout`: re-arm it for the heartbeat window
        clearTimeout(this.watchdog);
        this.armWatchdog();
      }
      // a namespace got through: the connection is healthy, so the next outage starts from attempt 0
      this.backoff.reset();
    }
    const socket = this.nsps.get(packet.nsp);
    if (socket?.active) socket._onPacket(packet);
  }

  private onClose(reason: ManagerCloseReason, description?: DisconnectDescription): void {
    this.dropTransport(reason !== "forced close");
    this._readyState = "closed";
    this.emitReserved("close", reason, description);
    if (this.opts.reconnection && !this.skipReconnect) this.reconnect();
  }

  /** Stops the watchdog and lets go of the WebSocket: a polite close, or a drop if it is dead. */
  private dropTransport(abrupt: boolean): void {
    if (this.watchdog !== undefined) clearTimeout(this.watchdog);
    this.watchdog = undefined;
    const transport = this.transport;
    this.transport = undefined;
    if (abrupt) transport?.terminate();
    else transport?.close(1000);
  }

  /*
   * One timer per connection instead of one per frame: it fires at the earliest possible
   * deadline and re-arms itself if frames arrived meanwhile.
   */
  private armWatchdog(): void {
    const remaining = this.lastReceived + this.window - Date.now();
    this.watchdog = setTimeout(() => {
      this.watchdog = undefined;
      if (this.lastReceived + this.window > Date.now()) return this.armWatchdog();
      if (this._readyState === "opening") this.onOpenFailed(new Error("timeout"));
      else if (this._readyState === "open") this.onClose("ping timeout");
    }, Math.max(remaining, 0));
  }

  private reconnect(): void {
    if (this._reconnecting || this.skipReconnect) return;
    if (this.backoff.attempts >= this.opts.reconnectionAttempts) {
      this.backoff.reset();
      this.emitReserved("reconnect_failed");
      return;
    }
    this._reconnecting = true;
    this.backoff.schedule(this.attemptReconnect);
    (globalThis as OnlineTarget).addEventListener?.("online", this.onOnline);
  }

  private readonly attemptReconnect = (): void => {
    this.stopReconnectWait();
    if (this.skipReconnect) return;
    this.emitReserved("reconnect_attempt", this.backoff.attempts);
    if (this.skipReconnect) return; // a listener may have closed the manager
    this.open((err) => {
      if (err) {
        this._reconnecting = false;
        this.reconnect();
        this.emitReserved("reconnect_error", err);
      } else {
        this._reconnecting = false;
        this.emitReserved("reconnect", this.backoff.attempts);
      }
    });
  };

  /** The network is back: waiting out the rest of the backoff would only waste time. */
  private readonly onOnline = (): void => {
    if (this.backoff.pending) this.attemptReconnect();
  };

  private stopReconnectWait(): void {
    this.backoff.cancel();
    (globalThis as OnlineTarget).removeEventListener?.("online", this.onOnline);
  }
}
