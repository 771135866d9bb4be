import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Socket as NetSocket } from "node:net";
import { WebSocket, type RawData } from "ws";
import {
  CloseCode,
  ErrorCode,
  FROM_CLIENT,
  type Codec,
  type ConnectPacket,
  type Packet,
  PacketType,
  ProtocolError,
} from "@roomcast/protocol";
import { buildHandshake, NO_AUTH } from "./handshake.js";
import { OutgoingPacket } from "../dialect/outgoing-packet.js";
import { TokenBucket } from "./rate-limiter.js";
import { createConnectionStats, type ConnectionStats, type ServerMetrics } from "../metrics.js";
import type { ServerOptions } from "../server/server-options.js";
import type { DisconnectReason, Handshake } from "../types.js";
import { sharedBatch } from "../transport/shared-batch.js";
import { scheduleFlush } from "../transport/write-scheduler.js";

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

export type ConnectionState = "open" | "closing" | "closed";

/** The handshake fields every namespace socket of one connection shares. */
export type ConnectionHandshake = Omit<Handshake, "auth">;

const NO_NAMESPACES: ReadonlySet<string> = new Set();
const HEARTBEAT = new OutgoingPacket({ type: PacketType.HEARTBEAT });
const RATE_LIMITED_ERROR = Object.freeze({ code: ErrorCode.RATE_LIMITED, message: "rate limit exceeded: event dropped" });

/* Heartbeat phases: one due time per connection serves all three, one after the other. */
const AWAIT_CONNECT = 0;
const PING_DUE = 1;
const PONG_DUE = 2;

/** ws reports protocol violations (bad frame, oversize message, bad UTF-8) with these codes. */
function isWsProtocolError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" && code.startsWith("WS_ERR_");
}

/**
 * The server's WebSocket class: one slot for its Connection, so that the `message`, `error` and
 * `close` listeners can be functions shared by every connection (ws calls them with `this` = the
 * WebSocket) instead of three closures per connection.
 */
export class ConnectionWebSocket extends WebSocket {
  connection: Connection | undefined = undefined;
}

function onWebSocketMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  (this as ConnectionWebSocket).connection?._onmessage(data, isBinary);
}

function onWebSocketError(this: WebSocket, err: Error): void {
  (this as ConnectionWebSocket).connection?._onerror(err);
}

function onWebSocketClose(this: WebSocket): void {
  (this as ConnectionWebSocket).connection?._onclose();
}

/**
 * One WebSocket: decodes and dispatches inbound packets to its namespace sockets, writes outbound
 * frames once per tick, runs the connect timeout and the heartbeat (ticked by the server's
 * HeartbeatSweep), and enforces
 * the outbound buffer limits. Exposed to applications as `socket.conn`.
 */
export class Connection {
  /** Per-connection counters. */
  readonly stats: ConnectionStats = createConnectionStats();
  readonly handshake: ConnectionHandshake;
  /* The same object as `handshake`, with the auth slot the first namespace socket fills in. */
  private readonly fullHandshake: Handshake;
  /** Credentials from the `roomcast.auth.*` subprotocol entry, used when CONNECT carries none. */
  readonly subprotocolAuth: Record<string, unknown> | undefined;
  readonly deflate: boolean;
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
  private readonly raw: NetSocket;
  private readonly queue: Buffer[] = [];
  private queuedBytes = 0;
  /**
   * The socket's own buffer (`writableLength`), read when the first packet of a tick is queued.
   * Nothing reaches the socket from this connection until the flush, so `push` compares against
   * this figure instead of asking the stream for every packet.
   */
  private socketBuffered = 0;
  private flushScheduled = false;
  private closeReason: DisconnectReason | undefined;
  private torn = false;

  /* When the current phase is due (whole ms of performance.now(), a small integer); -1 when stopped. */
  private dueAt = -1;
  private phase = AWAIT_CONNECT;
  /** Set by any inbound frame; the heartbeat only checks it, so receiving costs one store. */
  private heard = false;
  /** Present when `rateLimit` is set: one bucket for the events of every namespace of this connection. */
  private readonly bucket: TokenBucket | undefined;
  /** The client was told about the current run of dropped events; reset by the next admitted one. */
  private toldRateLimited = false;

  constructor(
    readonly ws: WebSocket,
    req: IncomingMessage,
    readonly codec: Codec,
    private readonly host: ConnectionHost,
    subprotocolAuth: Record<string, unknown> | undefined,
  ) {
    // ws keeps the TCP socket private; frames are pre-built (once per broadcast, shared by every
    // recipient), so they go to the socket directly instead of being re-framed by ws.send.
    this.raw = (ws as unknown as { _socket: NetSocket })._socket;
    this.deflate = ws.extensions.includes("permessage-deflate");
    this.handshake = this.fullHandshake = buildHandshake(req);
    this.subprotocolAuth = subprotocolAuth;
    const rateLimit = host.options.rateLimit;
    this.bucket = rateLimit && new TokenBucket(rateLimit.eventsPerSecond, rateLimit.burst, performance.now());
    (ws as ConnectionWebSocket).connection = this;
    ws.on("message", onWebSocketMessage);
    ws.on("error", onWebSocketError);
    ws.on("close", onWebSocketClose);
    this.arm(host.options.connectTimeout);
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

  /** Unique id of this connection (namespace sockets have their own ids). */
  get id(): string {
    return (this.idValue ??= randomBytes(12).toString("base64url"));
  }

  /** "open", "closing" (close frame sent) or "closed". */
  get readyState(): ConnectionState {
    return this.stateValue;
  }

  /** Negotiated subprotocol ("" when the client offered none and got JSON). */
  get protocol(): string {
    return this.ws.protocol;
  }

  /** Remote address of the TCP peer. */
  get remoteAddress(): string {
    return this.handshake.address;
  }

  /** Outbound bytes not yet accepted by the kernel: our queue plus the socket's buffer. */
  get bufferedAmount(): number {
    return this.deflate ? this.ws.bufferedAmount : this.queuedBytes + this.raw.writableLength;
  }

  /**
   * Queues `packet` for this connection. Returns false when it was not queued: a volatile packet
   * on a congested or closing connection (counted), or the connection is gone or over its limit.
   */
  push(packet: OutgoingPacket, volatile = false, compress = true): boolean {
    const metrics = this.host.metrics;
    if (this.stateValue !== "open") return volatile ? this.dropVolatile() : false;
    const options = this.host.options;
    let buffered: number;
    if (this.deflate) {
      buffered = this.ws.bufferedAmount;
    } else {
      if (!this.flushScheduled) this.socketBuffered = this.raw.writableLength;
      buffered = this.queuedBytes + this.socketBuffered;
    }
    if (volatile && buffered > options.volatileHighWaterMark) return this.dropVolatile();
    if (this.deflate) {
      // ws.send keeps deflated and plain frames in order through its own queue.
      const payload = packet.payload(this.codec);
      if (buffered + payload.length > options.maxBufferedBytes) return this.slowConsumer();
      this.ws.send(payload, { binary: this.codec.binary, compress });
      this.stats.packetsSent++;
      metrics.packetsSent++;
      this.countWritten(1, payload.length, 0);
      return true;
    }
    const frame = packet.frame(this.codec);
    if (buffered + frame.length > options.maxBufferedBytes) return this.slowConsumer();
    this.queue.push(frame);
    this.queuedBytes += frame.length;
    this.stats.packetsSent++;
    metrics.packetsSent++;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      scheduleFlush(this);
    }
    return true;
  }

  /** A volatile packet was not sent: counted on the connection and on the server. */
  private dropVolatile(): false {
    this.stats.volatileDrops++;
    this.host.metrics.volatileDrops++;
    return false;
  }

  /** `frames` frames, `bytes` long, went to the socket in `writes` writes: counted on both levels. */
  private countWritten(frames: number, bytes: number, writes: number): void {
    const stats = this.stats;
    const metrics = this.host.metrics;
    stats.flushes += writes;
    stats.framesWritten += frames;
    stats.bytesWritten += bytes;
    metrics.flushes += writes;
    metrics.framesWritten += frames;
    metrics.bytesWritten += bytes;
  }

  /** Convenience for control packets (CONNECTED, CONNECT_ERROR, DISCONNECT, ACK). */
  send(packet: Packet): boolean {
    return this.push(new OutgoingPacket(packet));
  }

  /** Writes everything queued this tick with one write. Called by the write scheduler. */
  flush(): void {
    this.flushScheduled = false;
    const queue = this.queue;
    if (queue.length === 0) return;
    if (this.ws.readyState !== WebSocket.OPEN || this.raw.destroyed) {
      // ws already wrote its close frame; nothing may follow it.
      queue.length = 0;
      this.queuedBytes = 0;
      return;
    }
    // One write of one buffer: several frames are joined, once for every connection whose queue
    // holds the same frames (the members of a room after a burst), see shared-batch.ts.
    this.raw.write(queue.length === 1 ? queue[0] : sharedBatch(queue, this.queuedBytes));
    this.countWritten(queue.length, this.queuedBytes, 1);
    queue.length = 0;
    this.queuedBytes = 0;
  }

  /**
   * Closes the connection: queued frames are written first, then the close frame. Every
   * namespace socket disconnects with `reason` right away.
   */
  close(code: number = CloseCode.NORMAL, reason: DisconnectReason = "server namespace disconnect", message = ""): void {
    if (this.stateValue !== "open") return;
    this.stateValue = "closing";
    this.closeReason = reason;
    this.flush();
    this.stopTimer();
    // A close reason is at most 123 bytes; ours are short ASCII anyway.
    this.ws.close(code, message.length > 120 ? message.slice(0, 120) : message);
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
    for (const name of this.sockets.keys()) this.send({ type: PacketType.DISCONNECT, nsp: name });
    this.close(CloseCode.NORMAL, "server namespace disconnect", "");
  }

  /** Shutdown: closes with 1012 so the client reconnects (to another node) after its backoff. */
  drain(): void {
    this.close(CloseCode.SERVICE_RESTART, "server shutting down", "server shutting down");
  }

  /** Drops the TCP connection without a close handshake (used when a peer ignores ours). */
  terminate(): void {
    this.ws.terminate();
  }

  /** Registers a socket that joined namespace `name`; the first one starts the heartbeat. */
  attach(name: string, socket: ConnectionSocket): void {
    if (this.soleName === name || (this.soleSocket === undefined && this.moreSockets?.has(name) !== true)) {
      this.soleName = name;
      this.soleSocket = socket;
    } else {
      (this.moreSockets ??= new Map()).set(name, socket);
    }
    if (this.phase === AWAIT_CONNECT) {
      this.phase = PING_DUE;
      this.arm(this.host.options.pingInterval);
    }
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
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.close(CloseCode.SLOW_CONSUMER, "slow consumer", "slow consumer");
    return false;
  }

  /** @internal an inbound frame. */
  _onmessage(data: RawData, isBinary: boolean): void {
    this.heard = true;
    if (this.stateValue !== "open") return;
    let packet: Packet;
    try {
      const frame = isBinary ? (data as Buffer) : (data as Buffer).toString();
      packet = this.codec.decode(frame, FROM_CLIENT);
    } catch (err) {
      this.host.metrics.protocolErrors++;
      const closeCode = err instanceof ProtocolError && err.closeCode ? err.closeCode : CloseCode.PROTOCOL_ERROR;
      this.close(closeCode, "parse error", err instanceof Error ? err.message : "invalid frame");
      return;
    }
    this.stats.packetsReceived++;
    this.host.metrics.packetsReceived++;
    switch (packet.type) {
      case PacketType.HEARTBEAT:
        return;
      case PacketType.CONNECT:
        this.host.connectNamespace(this, packet);
        return;
      case PacketType.EVENT:
        if (this.bucket !== undefined && !this.bucket.take(performance.now())) {
          this.rateLimited(packet.nsp);
          return;
        }
        this.toldRateLimited = false;
        this.socketOf(packet.nsp)?._onpacket(packet);
        return;
      default:
        // Packets for a namespace this connection has not joined (or just left) are ignored.
        this.socketOf(packet.nsp)?._onpacket(packet);
    }
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

  /** @internal */
  _onerror(err: Error): void {
    if (isWsProtocolError(err)) {
      this.host.metrics.protocolErrors++;
      this.closeReason ??= "parse error";
    } else {
      this.closeReason ??= "transport error";
    }
  }

  /** @internal the WebSocket closed (after our close frame, the peer's, or a transport failure). */
  _onclose(): void {
    this.stateValue = "closed";
    this.stopTimer();
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.teardown(this.closeReason ?? "transport close");
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
  }

  /** The current phase is due `delay` ms from now. */
  private arm(delay: number): void {
    this.dueAt = Math.floor(performance.now()) + delay;
  }

  private stopTimer(): void {
    this.dueAt = -1;
  }

  /**
   * @internal called by the server's sweep every `early` ms. A phase runs at the last tick before
   * it is due, never after: pings go out and deadlines pass up to one period early, so a dead peer
   * is still closed within `pingInterval + pingTimeout`.
   */
  _ontick(now: number, early: number): void {
    if (this.dueAt < 0 || this.stateValue !== "open" || this.dueAt > now + early) return;
    const options = this.host.options;
    switch (this.phase) {
      case AWAIT_CONNECT:
        this.host.metrics.connectTimeouts++;
        this.close(CloseCode.CONNECT_TIMEOUT, "transport close", "connect timeout");
        return;
      case PING_DUE:
        this.heard = false;
        this.phase = PONG_DUE;
        this.push(HEARTBEAT);
        this.arm(options.pingTimeout);
        return;
      case PONG_DUE:
        if (!this.heard) {
          this.host.metrics.heartbeatTimeouts++;
          this.close(CloseCode.HEARTBEAT_TIMEOUT, "ping timeout", "ping timeout");
          return;
        }
        this.phase = PING_DUE;
        this.arm(options.pingInterval);
    }
  }
}
