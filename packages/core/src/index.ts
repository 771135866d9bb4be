export { Server, type ServerReservedEvents } from "./server.js";
export { Namespace, type Middleware, type NamespaceReservedEvents } from "./namespace.js";
export { ParentNamespace, type NamespaceMatcher } from "./parent-namespace.js";
export { Socket, type SocketReservedEvents, type PacketMiddleware } from "./socket.js";
export { BroadcastOperator, type BroadcastHost } from "./broadcast-operator.js";
export { BroadcastSurface } from "./broadcast-surface.js";
export { type RemoteSocket, RemoteSocketHandle } from "./remote-socket.js";
export { Connection, type ConnectionState, type ConnectionHandshake } from "./connection.js";
export { AckRegistry, AckTimeoutError } from "./ack-registry.js";
export { Adapter, type AdapterConstructor, type AdapterNamespace, type AdapterSocket, type SocketDetails } from "./adapter.js";
export { OutgoingPacket, buildFrame } from "./outgoing-packet.js";
export {
  DEFAULT_OPTIONS,
  resolveOptions,
  type ServerOptions,
  type Logger,
  type AllowRequest,
  type AllowedOrigins,
} from "./server-options.js";
export type { ServerMetrics, ConnectionStats } from "./metrics.js";
export type { RateLimitOptions, RateLimitAction } from "./rate-limiter.js";
export type { ShutdownOptions } from "./shutdown.js";
export type { DebugCounts } from "./debug-counts.js";
export type * from "./typed-events.js";
export { TypedEventEmitter } from "./typed-events.js";
export type { BroadcastFlags, BroadcastOptions, DisconnectReason, Handshake, Room, SocketId } from "./types.js";
export { CloseCode, ErrorCode, RoomcastError, ProtocolError } from "@roomcast/protocol";
export * from "./cluster/index.js";
export * from "./recovery/index.js";
