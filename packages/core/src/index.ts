export { Server, type ServerReservedEvents } from "./server/server.js";
export { Namespace, type Middleware, type NamespaceReservedEvents } from "./namespace/namespace.js";
export { ParentNamespace, type NamespaceMatcher } from "./namespace/parent-namespace.js";
export { Socket, type SocketReservedEvents, type PacketMiddleware } from "./socket/socket.js";
export { BroadcastOperator, type BroadcastHost } from "./broadcast/broadcast-operator.js";
export { BroadcastSurface } from "./broadcast/broadcast-surface.js";
export { type RemoteSocket, RemoteSocketHandle } from "./broadcast/remote-socket.js";
export { Connection, type ConnectionState, type ConnectionHandshake } from "./connection/connection.js";
export { AckRegistry, AckTimeoutError } from "./acks/ack-registry.js";
export { HandledEmits, type HandledEmitsOptions, type HandledEmitRecord, type EmitArrival } from "./acks/handled-emits.js";
export { Adapter, type AdapterConstructor, type AdapterNamespace, type AdapterSocket, type HandledLateNotice, type SocketDetails } from "./broadcast/adapter.js";
export { OutgoingPacket, buildFrame } from "./dialect/outgoing-packet.js";
export {
  DEFAULT_OPTIONS,
  resolveOptions,
  type ServerOptions,
  type ServerOptionsInput,
  type Logger,
  type AllowRequest,
  type AllowedOrigins,
  type MiddlewareErrorExposure,
} from "./server/server-options.js";
export type { CorsOptions, CorsOptionsDelegate, CorsOriginFunction, CorsStaticOrigin } from "./server/cors-options.js";
export type { SocketIoEndpoint, SocketIoOptions, TransportName } from "./server/socketio-options.js";
export type { ServerMetrics, ConnectionStats, DialectTraffic, TrafficDialect } from "./metrics.js";
export type { RateLimitOptions, RateLimitAction } from "./connection/rate-limiter.js";
export type { ShutdownOptions } from "./server/shutdown.js";
export { createHealthHandler, type HealthHandler, type HealthHandlerOptions, type HealthReason, type HealthReport } from "./server/health.js";
export type { DebugCounts } from "./server/debug-counts.js";
export type { Engine, EngineConnectionError, EngineMiddleware, ResponseHeaders } from "./engine/engine.js";
export type * from "./typed-events.js";
export { TypedEventEmitter } from "./typed-events.js";
export type { BroadcastFlags, BroadcastOptions, DisconnectReason, Handshake, Room, SocketId } from "./types.js";
export { CloseCode, ErrorCode, RoomcastError, ProtocolError } from "@roomcast/protocol";
export * from "./cluster/index.js";
export * from "./recovery/index.js";
