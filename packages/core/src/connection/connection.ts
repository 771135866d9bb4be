import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import type { IncomingMessage } from "node:http";
import type { Socket as TcpSocket } from "node:net";
import { CloseCode, ErrorCode, type Codec, type ConnectPacket, type Packet, PacketType, ProtocolError } from "@roomcast/protocol";
import { buildHandshake, NO_AUTH } from "./handshake.js";
import { OutgoingPacket } from "../dialect/outgoing-packet.js";
import type { DialectName, TransportName, Wire, WireListener } from "../dialect/wire.js";
import { HeldOutput } from "./held-output.js";
import { overOutboundLimit } from "./outbound-limit.js";
import { TokenBucket } from "./rate-limiter.js";
import { canRebuildRequest, rebuildRequest } from "./upgrade-request.js";
import { countCloseCode, createConnectionStats, type ConnectionStats, type DialectTraffic, type ServerMetrics } from "../metrics.js";
import type { ServerOptions } from "../server/server-options.js";
import { packetName, traceEngine, traceServer, traceSocket } from "../trace.js";
import type { DisconnectReason, Handshake } from "../types.js";

/** What a connection needs from its namespace sockets. */
export interface ConnectionSocket {
  /** Handles a packet addressed to this socket's namespace. */
  _onpacket(packet: Packet): void;
  /** The connection is gone: the socket disconnects with `reason`. */
  _onclose(reason: DisconnectReason): void;
}

/** What a connection needs from the server that accepted it. */
export interface ConnectionHost {
  readonly options: ServerOptions;
  readonly metrics: ServerMetrics;
  /** A CONNECT arrived: resolve the namespace, run its middleware, admit or refuse. */
  connectNamespace(conn: Connection, packet: ConnectPacket): void;
  connectionClosed(conn: Connection): void;
}

/** Engine.IO's states, which Socket.IO apps read as `socket.conn.readyState`. */
export type ConnectionState = "open" | "closing" | "closed";

/** Events of `socket.conn`, named as Engine.IO names them. */
export interface ConnectionEvents {
  /** The transport switched: an Engine.IO session upgraded from polling to WebSocket. */
  upgrade: [transport: { readonly name: TransportName }];
  /** The connection closed; every namespace socket has disconnected with `reason`. */
  close: [reason: DisconnectReason];
}

function checkedEvent(event: string): string {
  if (event !== "upgrade" && event !== "close") {
    throw new TypeError(`socket.conn emits "upgrade" and "close" only; "${event}" would never be emitted`);
  }
  return event;
}

/* One object per transport name: `socket.conn.transport` allocates nothing. */
const TRANSPORTS: Readonly<Record<TransportName, { readonly name: TransportName }>> = {
  websocket: Object.freeze({ name: "websocket" }),
  polling: Object.freeze({ name: "polling" }),
};

/** The handshake fields every namespace socket of one connection shares. */
export type ConnectionHandshake = Omit<Handshake, "auth">;

const NO_NAMESPACES: ReadonlySet<string> = new Set();
const RATE_LIMITED_ERROR = Object.freeze({ code: ErrorCode.RATE_LIMITED, message: "rate limit exceeded: event dropped" });

/** The server's traffic counters for the dialect `wire` speaks (read on each use: no field per connection). */
function trafficOf(metrics: ServerMetrics, wire: Wire): DialectTraffic {
  const traffic = metrics.traffic;
  return wire.dialect === "socketio" ? traffic.socketio : wire.codec?.binary === true ? traffic.msgpack : traffic.json;
}

/** "roomcast/json", "roomcast/msgpack" or "socketio/polling"…, for traces. */
function describeWire(wire: Wire): string {
  return wire.dialect === "socketio" ? `socketio/${wire.transportName}` : `roomcast/${wire.codec?.binary === true ? "msgpack" : "json"}`;
}

/* RFC 6455 section 7.4.1: the connection closed without a status code (an Engine.IO session over long-polling has none). */
const NO_STATUS = 1005;

/* Heartbeat phases. */
const STOPPED = 0;
const PING_DUE = 1;
const PONG_DUE = 2;

/**
 * One client connection, whatever its dialect and transport: dispatches inbound packets to its
 * namespace sockets, hands outbound packets to its wire (which frames them and writes once per
 * tick), runs the connect timeout and the heartbeat (ticked by the server's HeartbeatSweep), and
 * enforces the outbound buffer limits. Exposed to applications as `socket.conn`, with the fields
 * Socket.IO apps read there (`transport.name`, `remoteAddress`, `readyState`, `request`, the
 * `upgrade` and `close` events).
 */
export class Connection implements WireListener {
  /** Per-connection counters. */
  readonly stats: ConnectionStats = createConnectionStats();
  readonly handshake: ConnectionHandshake;
  /* The same object as `handshake`, with the auth slot the first namespace socket fills in. */
  private readonly fullHandshake: Handshake;
  /** Credentials from the `roomcast.auth.*` subprotocol entry, used when CONNECT carries none. */
  readonly subprotocolAuth: Record<string, unknown> | undefined;
  /*
   * Namespace sockets by namespace name. Most connections only ever join one namespace: it sits in
   * the two sole* fields, and a Map exists only for the others (a Map costs ~200 B when idle).
   */
  private soleName: string | undefined;
  private soleSocket: ConnectionSocket | undefined;
  private moreSockets: Map<string, ConnectionSocket> | undefined;
  /* Namespaces whose CONNECT is going through middleware; only exists while one is. */
  private pending: Set<string> | undefined;

  /* Made on first read: most connections never need one, and an unread id is memory per idle connection. */
  private idValue: string | undefined;
  private stateValue: ConnectionState = "open";
  private closeReason: DisconnectReason | undefined;
  private torn = false;
  /* Listeners of `socket.conn.on(...)`, made on first use. */
  private emitter: EventEmitter | undefined;

  /* When the connect timeout expires (whole ms of performance.now()); -1 once a namespace joined. */
  private connectBy: number;
  /* When the current heartbeat phase is due; -1 when stopped. */
  private dueAt = -1;
  private phase = STOPPED;
  /** Set by any inbound frame; the heartbeat only checks it, so receiving costs one store. */
  private heard = false;
  /** Present when `rateLimit` is set: one bucket for the events of every namespace of this connection. */
  private readonly bucket: TokenBucket | undefined;
  /** The client was told about the current run of dropped events; reset by the next admitted one. */
  private toldRateLimited = false;
  /* Present only while recovery holds this connection's output (see HeldOutput). */
  private heldOutput: HeldOutput | undefined;
  /*
   * The request that opened the connection, while it holds something the handshake cannot give
   * back; undefined once let go (rebuilt on first read, see upgrade-request.ts); null when the
   * application dropped it.
   */
  private requestValue: IncomingMessage | null | undefined;
  private readonly requestSocket: TcpSocket;

  /**
   * @param wire the dialect and transport this connection speaks through
   * @param request the HTTP request that opened it (the WebSocket upgrade, or the first polling request)
   * @param pingFromStart start the heartbeat now rather than once a namespace joined (Engine.IO
   *   pings from its handshake on)
   */
  constructor(
    readonly wire: Wire,
    request: IncomingMessage,
    private readonly host: ConnectionHost,
    subprotocolAuth: Record<string, unknown> | undefined,
    pingFromStart = false,
    /** An id chosen by the dialect (an Engine.IO `sid`); made on first read otherwise. */
    id?: string,
  ) {
    this.idValue = id;
    this.handshake = this.fullHandshake = buildHandshake(request);
    this.requestSocket = request.socket;
    if (!canRebuildRequest(request, this.fullHandshake)) this.requestValue = request;
    this.subprotocolAuth = subprotocolAuth;
    const options = host.options;
    const rateLimit = options.rateLimit;
    this.bucket = rateLimit && new TokenBucket(rateLimit.eventsPerSecond, rateLimit.burst, performance.now());
    this.connectBy = Math.floor(performance.now()) + options.connectTimeout;
    wire.attach(this);
    if (pingFromStart) this.startHeartbeat();
    if (traceEngine.enabled) traceEngine("conn %s open: %s from %s", this.id, describeWire(wire), this.handshake.address);
  }

  /**
   * @internal The handshake of a new namespace socket. The first socket adopts the connection's
   * own object (one handshake object per connection when it joins one namespace); later ones get
   * a copy with their own auth. Written out rather than spread: V8 gave every spread copy a
   * hidden class of its own (a map and a descriptor array, ~330 B).
   */
  _handshakeFor(auth: Record<string, unknown>): Handshake {
    const shared = this.fullHandshake;
    if (shared.auth === NO_AUTH) {
      shared.auth = auth;
      return shared;
    }
    return {
      headers: shared.headers,
      time: shared.time,
      issued: shared.issued,
      address: shared.address,
      xdomain: shared.xdomain,
      secure: shared.secure,
      url: shared.url,
      query: shared.query,
      auth,
    };
  }

  /**
   * The HTTP request that opened this connection (Socket.IO's `socket.request`): the WebSocket
   * upgrade, or the first long-polling request. It is the request itself when anything was left on
   * it during admission (an `io.engine.use()` middleware's `session` or `user`, a field set in
   * `allowRequest`); otherwise a copy rebuilt from the handshake on first read and kept from then
   * on (the original is let go, about 750 B per idle connection; see rebuildRequest for what the
   * copy holds). Null once the application set it to null, as Socket.IO's memory guide suggests.
   */
  get request(): IncomingMessage {
    if (this.requestValue === undefined) this.requestValue = rebuildRequest(this.fullHandshake, this.requestSocket);
    return this.requestValue as IncomingMessage;
  }

  set request(value: IncomingMessage | null) {
    this.requestValue = value;
  }

  /** Unique id of this connection (namespace sockets have their own ids); the Engine.IO `sid` for Socket.IO clients. */
  get id(): string {
    return (this.idValue ??= randomBytes(12).toString("base64url"));
  }

  /** "open", "closing" (close frame sent) or "closed". */
  get readyState(): ConnectionState {
    return this.stateValue;
  }

  /** The wire dialect: "roomcast" (docs/PROTOCOL.md) or "socketio" (Engine.IO v4 + Socket.IO v5). */
  get dialect(): DialectName {
    return this.wire.dialect;
  }

  /** The transport in use, as Engine.IO names it: `{ name: "websocket" }` or `{ name: "polling" }`. */
  get transport(): { readonly name: TransportName } {
    return TRANSPORTS[this.wire.transportName];
  }

  /** Negotiated subprotocol ("" when a roomcast client offered none and got JSON; "socket.io" for Socket.IO clients). */
  get protocol(): string {
    return this.wire.protocol;
  }

  /** The roomcast codec negotiated (json or msgpack); undefined for Socket.IO clients. */
  get codec(): Codec | undefined {
    return this.wire.codec;
  }

  /** True when frames are compressed with permessage-deflate. */
  get deflate(): boolean {
    return this.wire.deflate;
  }

  /** Remote address of the TCP peer. */
  get remoteAddress(): string {
    return this.handshake.address;
  }

  /** Outbound bytes not yet accepted by the kernel (queued plus the socket's buffer). */
  get bufferedAmount(): number {
    return this.wire.bufferedAmount;
  }

  /** Bytes `packet` takes on this connection's wire. */
  encodedLength(packet: OutgoingPacket): number {
    return this.wire.encodedLength(packet);
  }

  // ---- events of socket.conn ----

  /**
   * Listens to "upgrade" (the transport switched) or "close" (with the reason).
   *
   * @throws TypeError for any other event (Engine.IO's "packet", "drain", "heartbeat"… are not
   *   emitted, and a listener that never runs would fail silently)
   */
  on<E extends keyof ConnectionEvents>(event: E, listener: (...args: ConnectionEvents[E]) => void): this {
    (this.emitter ??= new EventEmitter()).on(checkedEvent(event), listener as (...args: unknown[]) => void);
    return this;
  }

  once<E extends keyof ConnectionEvents>(event: E, listener: (...args: ConnectionEvents[E]) => void): this {
    (this.emitter ??= new EventEmitter()).once(checkedEvent(event), listener as (...args: unknown[]) => void);
    return this;
  }

  off<E extends keyof ConnectionEvents>(event: E, listener: (...args: ConnectionEvents[E]) => void): this {
    this.emitter?.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  private notify<E extends keyof ConnectionEvents>(event: E, ...args: ConnectionEvents[E]): void {
    const emitter = this.emitter;
    if (emitter === undefined) return;
    try {
      emitter.emit(event, ...args);
    } catch (err) {
      this.host.metrics.handlerErrors++;
      this.host.options.logger.error(`a "${event}" listener of connection ${this.id} threw`, err);
    }
  }

  // ---- writing ----

  /**
   * Queues `packet` for this connection. Returns false when it was not queued: a volatile packet
   * on a congested or closing connection (counted), or the connection is gone or a slow consumer
   * (see outbound-limit.ts).
   */
  push(packet: OutgoingPacket, volatile = false, compress = true): boolean {
    if (this.stateValue !== "open") return volatile ? this.dropVolatile() : false;
    if (this.heldOutput !== undefined) return this.holdBack(this.heldOutput, packet, volatile, compress);
    const options = this.host.options;
    const wire = this.wire;
    const buffered = wire.buffered();
    if (volatile && buffered > options.volatileHighWaterMark) return this.dropVolatile();
    const length = wire.encodedLength(packet);
    // Within maxBufferedBytes nothing else is read; beyond it, whether the peer takes its bytes.
    if (buffered + length > options.maxBufferedBytes && overOutboundLimit(wire, buffered, length, options)) {
      return this.slowConsumer();
    }
    wire.write(packet, compress);
    this.stats.packetsSent++;
    const metrics = this.host.metrics;
    metrics.packetsSent++;
    const type = packet.packet.type;
    if (type === PacketType.EVENT || type === PacketType.EVENT_AT) trafficOf(metrics, wire).eventsSent++;
    return true;
  }

  /** A packet pushed while the output is held: kept in order, or dropped when volatile. */
  private holdBack(held: HeldOutput, packet: OutgoingPacket, volatile: boolean, compress: boolean): boolean {
    if (volatile) return this.dropVolatile();
    const length = this.wire.encodedLength(packet);
    // what waits here is memory like what waits in the wire: the same bound
    if (held.bytes + length + this.wire.buffered() > this.host.options.maxBufferedBytes) return this.slowConsumer();
    held.bytes += length;
    held.packets.push(packet);
    held.compress.push(compress);
    return true;
  }

  /**
   * @internal Keeps this connection's output back until the matching `_release()`. Recovery holds
   * it while a change to one of its sessions is being written (docs/RECOVERY.md, "Crashes").
   * Holds nest; a closing connection drops what is held.
   */
  _hold(): void {
    if (this.stateValue !== "open") return;
    if (this.heldOutput === undefined) this.heldOutput = new HeldOutput();
    else this.heldOutput.holds++;
  }

  /** @internal Ends one `_hold()`; after the last, what was held is sent, in order. */
  _release(): void {
    const held = this.heldOutput;
    if (held === undefined || --held.holds > 0) return;
    this.sendHeld(held);
  }

  private sendHeld(held: HeldOutput): void {
    this.heldOutput = undefined;
    for (let i = 0; i < held.packets.length; i++) this.push(held.packets[i], false, held.compress[i]);
  }

  /** A volatile packet was not sent: counted on the connection and on the server. */
  private dropVolatile(): false {
    this.stats.volatileDrops++;
    this.host.metrics.volatileDrops++;
    return false;
  }

  /** @internal `frames` frames, `bytes` long, went to the socket in one write: counted on both levels. */
  _onwritten(frames: number, bytes: number): void {
    const stats = this.stats;
    const metrics = this.host.metrics;
    stats.flushes++;
    stats.framesWritten += frames;
    stats.bytesWritten += bytes;
    metrics.flushes++;
    metrics.framesWritten += frames;
    metrics.bytesWritten += bytes;
    trafficOf(metrics, this.wire).bytesSent += bytes;
  }

  /** Convenience for control packets (CONNECTED, CONNECT_ERROR, DISCONNECT, ACK). */
  send(packet: Packet): boolean {
    const out = new OutgoingPacket(packet);
    if (traceSocket.enabled) this.traceOut(out);
    return this.push(out);
  }

  /** @internal traces a packet sent to this connection alone (never called for a broadcast's recipients). */
  traceOut(packet: OutgoingPacket): void {
    const inner = packet.packet;
    traceSocket("conn %s > %s %s (%d bytes)", this.id, packetName(inner), "nsp" in inner ? inner.nsp : "", this.wire.encodedLength(packet));
  }

  /**
   * Closes the connection: queued frames are written first, then the close frame. Every
   * namespace socket disconnects with `reason` right away.
   */
  close(code: number = CloseCode.NORMAL, reason: DisconnectReason = "server namespace disconnect", message = ""): void {
    if (this.stateValue !== "open") return;
    this.stateValue = "closing";
    // held output follows a session change not yet stored: the client must not see it
    this.heldOutput = undefined;
    countCloseCode(this.host.metrics, code);
    if (traceServer.enabled) traceServer("conn %s closing with %d (%s)", this.id, code, reason);
    this.closeReason = reason;
    this.stopTimers();
    this.wire.close(code, message);
    this.teardown(reason);
  }

  /** Namespace sockets multiplexed over this connection, by namespace name (a copy). */
  get sockets(): ReadonlyMap<string, ConnectionSocket> {
    const sockets = new Map<string, ConnectionSocket>();
    if (this.soleSocket !== undefined) sockets.set(this.soleName as string, this.soleSocket);
    if (this.moreSockets !== undefined) for (const [name, socket] of this.moreSockets) sockets.set(name, socket);
    return sockets;
  }

  /** The socket of namespace `name` on this connection, if it joined. */
  socketOf(name: string): ConnectionSocket | undefined {
    return this.soleName === name ? this.soleSocket : this.moreSockets?.get(name);
  }

  /** Namespaces joined plus namespaces still in middleware (bounded by `maxNamespacesPerConnection`). */
  get namespaceCount(): number {
    return (this.soleSocket === undefined ? 0 : 1) + (this.moreSockets?.size ?? 0) + (this.pending?.size ?? 0);
  }

  /** Namespaces whose CONNECT is still going through middleware. */
  get pendingNamespaces(): ReadonlySet<string> {
    return this.pending ?? NO_NAMESPACES;
  }

  /** A CONNECT for `name` entered middleware. */
  addPending(name: string): void {
    (this.pending ??= new Set()).add(name);
  }

  /** The CONNECT for `name` was admitted, refused or abandoned. */
  deletePending(name: string): void {
    if (this.pending === undefined) return;
    this.pending.delete(name);
    if (this.pending.size === 0) this.pending = undefined;
  }

  /** Sends DISCONNECT for every namespace (so the client does not reconnect), then closes with 1000. */
  disconnectAll(): void {
    // every session of this connection ends for good, so nothing held needs to wait for a write
    if (this.heldOutput !== undefined) this.sendHeld(this.heldOutput);
    for (const name of this.sockets.keys()) this.send({ type: PacketType.DISCONNECT, nsp: name });
    this.close(CloseCode.NORMAL, "server namespace disconnect", "");
  }

  /** Shutdown: closes with 1012 so the client reconnects (to another node) after its backoff. */
  drain(): void {
    this.close(CloseCode.SERVICE_RESTART, "server shutting down", "server shutting down");
  }

  /** Drops the connection without a closing handshake (used when a peer ignores ours). */
  terminate(): void {
    this.wire.terminate();
  }

  /** Calls `callback` once the underlying transport is fully closed. */
  onceClosed(callback: () => void): void {
    this.wire.onceClosed(callback);
  }

  /** Registers a socket that joined namespace `name`; the first one ends the connect timeout and starts the heartbeat. */
  attach(name: string, socket: ConnectionSocket): void {
    if (this.soleName === name || (this.soleSocket === undefined && this.moreSockets?.has(name) !== true)) {
      this.soleName = name;
      this.soleSocket = socket;
    } else {
      (this.moreSockets ??= new Map()).set(name, socket);
    }
    this.connectBy = -1;
    if (this.phase === STOPPED) this.startHeartbeat();
  }

  detach(name: string, socket: ConnectionSocket): void {
    if (this.soleName === name) {
      if (this.soleSocket !== socket) return;
      this.soleName = undefined;
      this.soleSocket = undefined;
    } else if (this.moreSockets?.get(name) === socket) {
      this.moreSockets.delete(name);
      if (this.moreSockets.size === 0) this.moreSockets = undefined;
    }
  }

  private slowConsumer(): false {
    this.host.metrics.slowConsumerCloses++;
    // What is queued will never be read in time; drop it rather than write it first.
    this.wire.discard();
    this.close(CloseCode.SLOW_CONSUMER, "slow consumer", "slow consumer");
    return false;
  }

  // ---- WireListener ----

  /** @internal the peer showed it is alive, with `bytes` bytes. */
  _onheard(bytes: number): void {
    this.heard = true;
    trafficOf(this.host.metrics, this.wire).bytesReceived += bytes;
  }

  /** @internal a packet from the peer, `bytes` long. */
  _onpacket(packet: Packet, bytes: number): void {
    if (this.stateValue !== "open") return;
    this.stats.packetsReceived++;
    const metrics = this.host.metrics;
    metrics.packetsReceived++;
    if (traceSocket.enabled) traceSocket("conn %s < %s %s (%d bytes)", this.id, packetName(packet), "nsp" in packet ? packet.nsp : "", bytes);
    switch (packet.type) {
      case PacketType.CONNECT:
        this.host.connectNamespace(this, packet);
        return;
      case PacketType.EVENT:
        trafficOf(metrics, this.wire).eventsReceived++;
        if (this.bucket !== undefined && !this.bucket.take(performance.now())) {
          this.rateLimited(packet.nsp);
          return;
        }
        this.toldRateLimited = false;
        this.socketOf(packet.nsp)?._onpacket(packet);
        return;
      case PacketType.HEARTBEAT:
        return;
      default:
        // Packets for a namespace this connection has not joined (or just left) are ignored.
        this.socketOf(packet.nsp)?._onpacket(packet);
    }
  }

  /** @internal the peer broke the protocol. */
  _onprotocolerror(err: Error, closing: boolean): void {
    this.host.metrics.protocolErrors++;
    if (closing) {
      this.closeReason ??= "parse error";
      return;
    }
    if (this.stateValue !== "open") return;
    const closeCode = err instanceof ProtocolError && err.closeCode ? err.closeCode : CloseCode.PROTOCOL_ERROR;
    this.close(closeCode, "parse error", err.message);
  }

  /** @internal the transport switched. */
  _onupgrade(transport: TransportName): void {
    if (traceEngine.enabled) traceEngine("conn %s upgraded to %s", this.id, transport);
    this.notify("upgrade", TRANSPORTS[transport]);
  }

  /** @internal the wire closed (after our close, the peer's, or a transport failure). */
  _onclose(reason: DisconnectReason, code: number | undefined): void {
    if (this.stateValue === "open") {
      // closed by the peer or the transport: its code is this connection's (ours was counted in close())
      countCloseCode(this.host.metrics, code ?? NO_STATUS);
      if (traceServer.enabled) traceServer("conn %s closed by the peer with %d (%s)", this.id, code ?? NO_STATUS, this.closeReason ?? reason);
    }
    this.stateValue = "closed";
    this.heldOutput = undefined;
    this.stopTimers();
    this.wire.discard();
    this.teardown(this.closeReason ?? reason);
  }

  /** The bucket is empty: drop the event (telling the client once per run of drops) or disconnect. */
  private rateLimited(nsp: string): void {
    const metrics = this.host.metrics;
    if (this.host.options.rateLimit?.onExceeded === "disconnect") {
      metrics.rateLimitCloses++;
      this.close(CloseCode.RATE_LIMITED, "rate limited", "rate limited");
      return;
    }
    metrics.rateLimitedEvents++;
    if (this.toldRateLimited || this.socketOf(nsp) === undefined) return;
    this.toldRateLimited = true;
    // "error" is a name applications cannot emit, so this event can only come from the server.
    this.send({ type: PacketType.EVENT, nsp, data: ["error", RATE_LIMITED_ERROR] });
  }

  private teardown(reason: DisconnectReason): void {
    if (this.torn) return;
    this.torn = true;
    const sockets = [...this.sockets.values()];
    this.soleName = undefined;
    this.soleSocket = undefined;
    this.moreSockets = undefined;
    this.pending = undefined;
    for (const socket of sockets) socket._onclose(reason);
    this.host.connectionClosed(this);
    this.notify("close", reason);
  }

  // ---- connect timeout and heartbeat ----

  private startHeartbeat(): void {
    this.phase = PING_DUE;
    this.dueAt = Math.floor(performance.now()) + this.host.options.pingInterval;
  }

  private stopTimers(): void {
    this.dueAt = -1;
    this.connectBy = -1;
  }

  /**
   * @internal called by the server's sweep every `early` ms. A heartbeat deadline runs at the
   * last tick before it is due, never after: pings go out and deadlines pass up to one period
   * early, so a dead peer is still closed within `pingInterval + pingTimeout`. The connect
   * timeout runs at the first tick after it is due.
   */
  _ontick(now: number, early: number): void {
    if (this.stateValue !== "open") return;
    // Never early: a client gets all of connectTimeout to join (and is pinged meanwhile), as
    // with Socket.IO's timer.
    if (this.connectBy >= 0 && this.connectBy <= now) {
      this.host.metrics.connectTimeouts++;
      this.close(CloseCode.CONNECT_TIMEOUT, "transport close", "connect timeout");
      return;
    }
    if (this.dueAt < 0) return;
    const options = this.host.options;
    if (this.phase === PONG_DUE && this.heard) {
      // Answered: the next ping is due pingInterval after the answer, not after the pong deadline,
      // so a responsive peer is pinged every pingInterval (as Engine.IO does, and clients that
      // time out after pingInterval + pingTimeout without a ping expect).
      this.phase = PING_DUE;
      this.dueAt = now + options.pingInterval;
      return;
    }
    if (this.dueAt > now + early) return;
    if (this.phase === PING_DUE) {
      this.heard = false;
      this.phase = PONG_DUE;
      this.wire.ping();
      this.dueAt = now + options.pingTimeout;
      return;
    }
    this.host.metrics.heartbeatTimeouts++;
    this.close(CloseCode.HEARTBEAT_TIMEOUT, "ping timeout", "ping timeout");
  }
}
