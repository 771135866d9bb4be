import { type Codec, FROM_SERVER, type Packet, type RoomcastError } from "@roomcast/protocol";
import { frameTime, openWebSocket } from "#websocket";
import { authSubprotocol } from "./auth-subprotocol.js";
import { backoffDelay } from "./backoff.js";
import { checkOption, resolveOptions } from "./client-options.js";
import { Engine } from "./engine.js";
import { clientJsonCodec } from "./json-codec.js";
import type { DisconnectDescription, ManagerCloseReason } from "./disconnect-reasons.js";
import { Socket, type SocketOptions } from "./socket.js";
export type { ManagerCloseReason } from "./disconnect-reasons.js";
import type { Transport, TransportHandlers, TransportOptions } from "./transport/websocket-types.js";
import { TypedEmitter } from "./typed-events.js";
import { CLOSED, OPEN, OPENING, type ReadyState } from "./ready-state.js";
import { parseUrl } from "./url.js";

/**
 * Options of a {@link Manager}. Every one is checked when the manager is built: an unknown or
 * unsupported option, or a value of the wrong type or range, throws a TypeError naming it.
 * The Node-only TLS and `agent` options come from {@link TransportOptions}.
 */
export interface ManagerOptions extends TransportOptions {
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
  /** ms allowed for the WebSocket to open and for the first CONNECTED to arrive, at most 2^31-1. Default: 20000. */
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
  /** Extra HTTP headers on the upgrade request. Node only (browsers cannot set them; ignored there). */
  extraHeaders: Record<string, string>;
  /**
   * Accepted for socket.io-client compatibility, where it sends cookies with cross-origin
   * long-polling requests. A WebSocket has no such switch: browsers send the target host's
   * cookies with the upgrade request by their own cookie rules (SameSite and so on) either way,
   * and on Node no cookies are sent unless given in `extraHeaders.cookie`. No effect.
   */
  withCredentials?: boolean;
  /**
   * roomcast's client is WebSocket-only: the list must start with "websocket" (later entries are
   * fallbacks socket.io-client tries only with `tryAllTransports`, so they change nothing).
   * `["polling"]`, `["polling", "websocket"]` or an unknown name throws a TypeError.
   */
  transports?: ReadonlyArray<"websocket" | "polling" | "webtransport">;
  /** Accepted for socket.io-client compatibility; no effect: the connection starts on WebSocket, so there is nothing to upgrade. */
  upgrade?: boolean;
  /** Accepted for socket.io-client compatibility; no effect, as for `upgrade`. */
  rememberUpgrade?: boolean;
  /** Only `false`: there is no other transport to fall back to, so `true` throws a TypeError. */
  tryAllTransports?: false;
}


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


const DEFAULTS: ManagerOptions = {
  path: "/roomcast",
  reconnection: true,
  reconnectionAttempts: Infinity,
  reconnectionDelay: 1000,
  reconnectionDelayMax: 5000,
  randomizationFactor: 1,
  timeout: 20_000,
  autoConnect: true,
  codec: clientJsonCodec,
  query: {},
  extraHeaders: {},
};

/** What the handlers of one connection hold for {@link Manager}'s frame handler. */
interface FrameHandler {
  _manager: Manager;
  _generation: number;
}

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
  /*
   * What each frame reads and writes (with `codec`) is declared together here, so it lies together
   * in the object: with many clients in a process each frame finds its manager out of the CPU's
   * cache, and every further cache line it touches costs another fetch.
   */
  /** @internal incremented per WebSocket opened or dropped; late callbacks compare against it. */
  _generation = 0;
  #lastReceived = 0;
  /**
   * The resolved options: defaults overlaid with those given (socket options passed to `io()`
   * included). Change them through the getter/setters below; the backoff reads them at each wait.
   */
  readonly opts: ManagerOptions;
  /** The WebSocket endpoint this manager connects to: `ws(s)://host[:port]<path>?<query>`. */
  readonly uri: string;
  /**
   * The current (or last) connection: a new {@link Engine} per (re)connection attempt; before
   * the first one, an engine whose `readyState` is "closed".
   */
  engine = new Engine("closed");
  /** @internal */
  _readyState: ReadyState = CLOSED;
  /** @internal */
  _reconnecting = false;

  /* `#` members: bundlers shorten their names, and nothing outside this class reaches them */
  /** Reconnection attempts since a namespace last connected (the backoff's exponent). */
  #attempts = 0;
  /** The wait before the next reconnection attempt, while there is one. */
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #transport: Transport | undefined;
  #skipReconnect = false;
  #transportError: Error | undefined;
  /** Silence allowed before the connection counts as dead: `timeout`, then pingInterval + pingTimeout. */
  #window = 0;
  #watchdog: ReturnType<typeof setTimeout> | undefined;
  #openCallback: ((err?: Error) => void) | undefined;

  /*
   * A frame's way in, one function for every connection: the transport calls it on the handlers
   * object of the frame's connection, which holds the manager and generation. Closures would give
   * each connection a function and a context of its own, two more objects to fetch per frame.
   */
  static #onFrame(this: FrameHandler, data: string | Uint8Array): void {
    const manager = this._manager;
    if (manager._generation === this._generation) manager.#onMessage(data);
  }

  /**
   * @param uri - server URL (`http(s)`, `ws(s)`, or relative to the page); its path is ignored
   *   here (a manager serves every namespace), the endpoint is `opts.path`.
   * @throws TypeError for an unknown or unsupported option, or a value of the wrong type or range.
   */
  constructor(uri?: string | Partial<ManagerOptions>, opts?: Partial<ManagerOptions>) {
    super();
    if (typeof uri === "object") [uri, opts] = [undefined, uri];
    const options = (this.opts = resolveOptions(DEFAULTS, opts));
    const url = new URL(parseUrl(uri, options.path).href);
    for (const [key, value] of Object.entries(options.query)) url.searchParams.set(key, value);
    this.uri = url.href;
    this.codec = options.codec;
  }

  reconnection(): boolean;
  reconnection(v: boolean): this;
  reconnection(v?: boolean): this | boolean {
    if (v === false) this.#skipReconnect = true;
    return this.#option("reconnection", v);
  }
  reconnectionAttempts(): number;
  reconnectionAttempts(v: number): this;
  reconnectionAttempts(v?: number): this | number {
    return this.#option("reconnectionAttempts", v);
  }
  reconnectionDelay(): number;
  reconnectionDelay(v: number): this;
  reconnectionDelay(v?: number): this | number {
    return this.#option("reconnectionDelay", v);
  }
  reconnectionDelayMax(): number;
  reconnectionDelayMax(v: number): this;
  reconnectionDelayMax(v?: number): this | number {
    return this.#option("reconnectionDelayMax", v);
  }
  randomizationFactor(): number;
  randomizationFactor(v: number): this;
  randomizationFactor(v?: number): this | number {
    return this.#option("randomizationFactor", v);
  }
  timeout(): number;
  timeout(v: number): this;
  timeout(v?: number): this | number {
    return this.#option("timeout", v);
  }

  /**
   * The socket of namespace `nsp`, created on first use (one per namespace per manager); `opts`
   * only apply when it is created.
   *
   * @throws TypeError for an unknown or unsupported option, or a value of the wrong type or range.
   */
  socket<L extends Record<string, any> = any, E extends Record<string, any> = L>(nsp: string, opts?: SocketOptions): Socket<L, E> {
    let socket = this.nsps.get(nsp);
    if (!socket) this.nsps.set(nsp, (socket = new Socket(this, nsp, opts)));
    if (this.opts.autoConnect) socket.connect();
    return socket as Socket<L, E>;
  }

  /** Opens the connection if it is closed; `callback` hears the outcome of this attempt. */
  open(callback?: (err?: Error) => void): this {
    if (this._readyState !== CLOSED) return this;
    this._readyState = OPENING;
    this.#skipReconnect = false;
    this.#transportError = undefined;
    this.#openCallback = callback;
    const generation = ++this._generation;
    const current = () => generation === this._generation;
    this.engine = new Engine("opening", () => current() && this.#onClose("transport close"));
    const opts = this.opts;
    const json = clientJsonCodec.subprotocol;
    const offered = opts.codec.subprotocol;
    const protocols = offered === json ? [json] : [offered, json];
    const handlers: TransportHandlers & FrameHandler = {
      _manager: this,
      _generation: generation,
      _onMessage: Manager.#onFrame,
      _onOpen: (protocol) => current() && this.#onOpen(protocol),
      _onError: (err) => {
        if (!current()) return;
        if (this._readyState === OPENING) this.#onOpenFailed(err);
        else this.#transportError = err;
      },
      _onClose: (code, reason) => {
        if (!current()) return;
        if (this._readyState === OPENING) return this.#onOpenFailed(new Error(`websocket closed (${code})`));
        const error = this.#transportError;
        // 4001: the server heard nothing from us in time
        this.#onClose(code === 4001 ? "ping timeout" : error ? "transport error" : "transport close", { code, reason, error });
      },
    };
    const start = (authEntry?: string) => {
      if (current() && this._readyState === OPENING) {
        this.#transport = openWebSocket(this.uri, authEntry ? [...protocols, authEntry] : protocols, opts, handlers);
      }
    };
    this.#lastReceived = Date.now();
    this.#window = opts.timeout;
    this.#armWatchdog();
    const authSocket = [...this.nsps.values()].find((s) => s._active && s._opts.authInSubprotocol);
    if (authSocket) {
      authSocket._prepareAuth((auth) => start(auth && authSubprotocol(auth)));
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
    this.#skipReconnect = true;
    this._reconnecting = false;
    this.#stopReconnectWait();
    this.#attempts = 0;
    if (this._readyState === OPEN) this.#onClose("forced close");
    else if (this._readyState === OPENING) this.#dropTransport("forced close");
    return this;
  }

  /** Alias of {@link close}. */
  disconnect(): this {
    return this.close();
  }

  /** @internal sends a packet on the open connection. */
  _packet(packet: Packet): void {
    if (this._readyState === OPEN) this.#transport?._send(this.codec.encode(packet));
  }

  /** @internal a socket stopped wanting the connection; close it when none does. */
  _destroy(): void {
    for (const socket of this.nsps.values()) if (socket._active) return;
    this.close();
  }

  /* the Socket.IO getter/setters: without a value they read an option, with one they check and set it */
  #option<K extends keyof ManagerOptions>(key: K, value: ManagerOptions[K] | undefined): any {
    if (value === undefined) return this.opts[key];
    checkOption(key, value);
    this.opts[key] = value;
    return this;
  }

  /** Calls `fn` on each socket that still wants the connection (a listener may change that). */
  #sockets(fn: (socket: Socket<any, any>) => void): void {
    for (const socket of [...this.nsps.values()]) if (socket._active) fn(socket);
  }

  #onOpen(protocol: string): void {
    // the server may fall back to JSON when it does not speak the codec we prefer
    this.codec = protocol === clientJsonCodec.subprotocol ? clientJsonCodec : this.opts.codec;
    this._readyState = OPEN;
    this.#lastReceived = Date.now();
    const callback = this.#openCallback;
    this.#openCallback = undefined;
    this.engine._open();
    this.#sockets((socket) => socket._onOpen());
    this._emitReserved("open");
    callback?.();
  }

  #onOpenFailed(err: Error): void {
    this.#dropTransport("transport error", { error: err });
    this.#sockets((socket) => socket._onError(err));
    this._emitReserved("error", err);
    const callback = this.#openCallback;
    this.#openCallback = undefined;
    if (callback) callback(err);
    else if (!this._reconnecting && this.opts.reconnection && !this.#attempts) this.#reconnect();
  }

  #onMessage(data: string | Uint8Array): void {
    this.#lastReceived = frameTime();
    let packet: Packet;
    try {
      packet = this.codec.decode(data, FROM_SERVER);
    } catch (err) {
      // codecs throw ProtocolError, whose closeCode says what was wrong (1002, 1003 or 1007)
      const code = (err as RoomcastError | undefined)?.closeCode ?? 1002;
      this.#transport?._close(code, "parse error");
      return this.#onClose("parse error", { code, error: err as Error });
    }
    if (packet.type === 7 /* HEARTBEAT */) {
      this._packet(packet);
      return this._emitReserved("ping");
    }
    if (packet.type === 1 /* CONNECTED */) {
      const { pingInterval, pingTimeout } = packet.info;
      if (typeof pingInterval === "number" && typeof pingTimeout === "number") {
        // the watchdog was armed for the (longer) `timeout`: re-arm it for the heartbeat window
        this.#window = pingInterval + pingTimeout;
        this.#armWatchdog();
      }
      // a namespace got through: the connection is healthy, so the next outage starts from attempt 0
      this.#stopReconnectWait();
      this.#attempts = 0;
    }
    const socket = this.nsps.get(packet.nsp);
    if (socket?._active) socket._onPacket(packet);
  }

  #onClose(reason: ManagerCloseReason, description?: DisconnectDescription): void {
    this.#dropTransport(reason, description);
    this.#sockets((socket) => socket._onClose(reason, description));
    this._emitReserved("close", reason, description);
    if (this.opts.reconnection && !this.#skipReconnect) this.#reconnect();
  }

  /**
   * Stops the watchdog and lets go of the WebSocket (a polite close for "forced close", else a
   * drop: the peer may be gone), then tells the engine, as socket.io-client's engine closes
   * before its sockets hear of it.
   */
  #dropTransport(reason: ManagerCloseReason, description?: DisconnectDescription): void {
    clearTimeout(this.#watchdog);
    this._generation++; // from here on, whatever this WebSocket still reports is ignored
    this.#transport?._close(reason === "forced close" ? 1000 : undefined);
    this.#transport = undefined;
    this._readyState = CLOSED;
    this.engine._close(reason, description);
  }

  /*
   * One timer per connection instead of one per frame: it fires at the earliest possible
   * deadline and re-arms itself if frames arrived meanwhile.
   */
  #armWatchdog(): void {
    clearTimeout(this.#watchdog);
    this.#watchdog = setTimeout(
      () => {
        if (this.#lastReceived + this.#window > Date.now()) this.#armWatchdog();
        else if (this._readyState === OPENING) this.#onOpenFailed(new Error("timeout"));
        else if (this._readyState === OPEN) this.#onClose("ping timeout");
      },
      Math.max(this.#lastReceived + this.#window - Date.now(), 0),
    );
  }

  #reconnect(): void {
    if (this._reconnecting || this.#skipReconnect) return;
    const opts = this.opts;
    if (this.#attempts >= opts.reconnectionAttempts) {
      this.#attempts = 0;
      return this._emitReserved("reconnect_failed");
    }
    this._reconnecting = true;
    const delay = backoffDelay(this.#attempts++, opts.reconnectionDelay, opts.reconnectionDelayMax, opts.randomizationFactor);
    this.#reconnectTimer = setTimeout(this.#attemptReconnect, delay);
    (globalThis as OnlineTarget).addEventListener?.("online", this.#onOnline);
  }

  #attemptReconnect = (): void => {
    this.#stopReconnectWait();
    if (this.#skipReconnect) return;
    this._emitReserved("reconnect_attempt", this.#attempts);
    if (this.#skipReconnect) return; // a listener may have closed the manager
    this.open((err) => {
      this._reconnecting = false;
      if (err) {
        this.#reconnect();
        this._emitReserved("reconnect_error", err);
      } else {
        this._emitReserved("reconnect", this.#attempts);
      }
    });
  };

  /** The network is back: waiting out the rest of the backoff would only waste time. */
  #onOnline = (): void => {
    if (this.#reconnectTimer !== undefined) this.#attemptReconnect();
  };

  #stopReconnectWait(): void {
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    (globalThis as OnlineTarget).removeEventListener?.("online", this.#onOnline);
  }
}
