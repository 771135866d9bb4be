/**
 * The wire a connection speaks, as traffic is counted: roomcast's own protocol in its JSON or its
 * msgpack codec (docs/PROTOCOL.md), or Socket.IO v5 over Engine.IO v4.
 */
export type TrafficDialect = "json" | "msgpack" | "socketio";

/** What the connections of one dialect exchanged since start. */
export interface DialectTraffic {
  /** EVENT packets decoded from peers (acks, connects and heartbeats are not events). */
  eventsReceived: number;
  /** EVENT packets queued for peers, one per recipient. */
  eventsSent: number;
  /** Bytes read from peers: WebSocket message payloads, or long-polling POST bodies. */
  bytesReceived: number;
  /** Bytes handed to sockets (as `bytesWritten`). */
  bytesSent: number;
}

/**
 * Counters a server keeps so that losses and limits are visible, never silent. Every number only
 * grows except `connections`, which is the current number of open connections.
 */
export interface ServerMetrics {
  /** Currently open WebSocket connections. */
  connections: number;
  /** Connections accepted since start. */
  connectionsOpened: number;
  /** Upgrade requests answered with an HTTP error (origin, allowRequest, per-IP limit). */
  upgradesRejected: number;
  /** Requests to an endpoint closed with 408 because their headers took longer than `handshakeTimeout`. */
  handshakeTimeouts: number;
  /** Packets decoded from peers. */
  packetsReceived: number;
  /** Packets queued for peers (one per recipient). */
  packetsSent: number;
  /** Frames written to sockets. */
  framesWritten: number;
  /** Batched writes: one per connection per tick that had something to send. */
  flushes: number;
  /** Bytes handed to sockets. */
  bytesWritten: number;
  /** Volatile packets dropped because the connection was congested or not open. */
  volatileDrops: number;
  /** Connections closed with 4000 because their outbound buffer passed `maxBufferedBytes`. */
  slowConsumerCloses: number;
  /** Connections closed for invalid frames (1002, 1003, 1007), oversized messages (1009) or too many pings or packets (4004). */
  protocolErrors: number;
  /** Connections closed with 4001. */
  heartbeatTimeouts: number;
  /** Connections closed with 4002. */
  connectTimeouts: number;
  /** Namespace connections refused (unknown namespace, middleware, limits). */
  connectErrors: number;
  /**
   * Errors thrown by application handlers and middleware (rejected promises included), and runs
   * of emits with an id given up after `handledEmits.maxRunTime` without an answer.
   */
  handlerErrors: number;
  /** Acks (single or broadcast) that timed out. */
  ackTimeouts: number;
  /** Incoming events dropped by the rate limiter (`rateLimit.onExceeded: "drop"`). */
  rateLimitedEvents: number;
  /** Connections closed with 4003 by the rate limiter (`rateLimit.onExceeded: "disconnect"`). */
  rateLimitCloses: number;
  /** Batches of connections closed with 1012 by `close()`. */
  shutdownBatches: number;
  /** Resends of an emit with an id that was already run: answered from the socket's window, not run again. */
  duplicateEmits: number;
  /** Emits with an id refused (ERR_TOO_MANY_PENDING_EMITS), and resends refused because their reply was not kept (ERR_REPLY_TOO_LARGE). */
  refusedEmits: number;
  /** Events and bytes in and out, by dialect. */
  traffic: Readonly<Record<TrafficDialect, DialectTraffic>>;
  /**
   * Closed connections by close code (RFC 6455 section 7.4, and roomcast's 4000-4005 in
   * docs/ERRORS.md): the code the server sent when it closed first, else the one the peer sent
   * (1005 when it sent none, 1006 when the connection dropped without a close frame; a
   * long-polling session that ends without a code counts as 1005). Codes a peer sends outside
   * 1000-1015 and 4000-4005 are counted together under 0, so peers cannot grow this map.
   */
  closeCodes: ReadonlyMap<number, number>;
}

export function createServerMetrics(): ServerMetrics {
  return {
    connections: 0,
    connectionsOpened: 0,
    upgradesRejected: 0,
    handshakeTimeouts: 0,
    packetsReceived: 0,
    packetsSent: 0,
    framesWritten: 0,
    flushes: 0,
    bytesWritten: 0,
    volatileDrops: 0,
    slowConsumerCloses: 0,
    protocolErrors: 0,
    heartbeatTimeouts: 0,
    connectTimeouts: 0,
    connectErrors: 0,
    handlerErrors: 0,
    ackTimeouts: 0,
    rateLimitedEvents: 0,
    rateLimitCloses: 0,
    shutdownBatches: 0,
    duplicateEmits: 0,
    refusedEmits: 0,
    traffic: { json: createTraffic(), msgpack: createTraffic(), socketio: createTraffic() },
    closeCodes: new Map(),
  };
}

function createTraffic(): DialectTraffic {
  return { eventsReceived: 0, eventsSent: 0, bytesReceived: 0, bytesSent: 0 };
}

/** Counts one closed connection under `code` (once per connection, never on a hot path). */
export function countCloseCode(metrics: ServerMetrics, code: number): void {
  // RFC 6455's codes and roomcast's own; any other is a peer's choice: one bucket for them all
  if (!((code >= 1000 && code <= 1015) || (code >= 4000 && code <= 4005))) code = 0;
  const codes = metrics.closeCodes as Map<number, number>;
  codes.set(code, (codes.get(code) ?? 0) + 1);
}

/** Counters of one connection (exposed as `socket.conn.stats`). */
export interface ConnectionStats {
  packetsReceived: number;
  packetsSent: number;
  framesWritten: number;
  flushes: number;
  bytesWritten: number;
  volatileDrops: number;
}

export function createConnectionStats(): ConnectionStats {
  return { packetsReceived: 0, packetsSent: 0, framesWritten: 0, flushes: 0, bytesWritten: 0, volatileDrops: 0 };
}
