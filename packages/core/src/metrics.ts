/**
 * Counters a server keeps so that losses and limits are visible, never silent. Every field only
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
  /** Errors thrown by application handlers and middleware. */
  handlerErrors: number;
  /** Acks (single or broadcast) that timed out. */
  ackTimeouts: number;
  /** Incoming events dropped by the rate limiter (`rateLimit.onExceeded: "drop"`). */
  rateLimitedEvents: number;
  /** Connections closed with 4003 by the rate limiter (`rateLimit.onExceeded: "disconnect"`). */
  rateLimitCloses: number;
  /** Batches of connections closed with 1012 by `close()`. */
  shutdownBatches: number;
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
  };
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
