import type { Adapter } from "../broadcast/adapter.js";

/** Sizes of every map the server keeps per connection, socket or room; all drain to 0 when idle. */
export interface DebugCounts {
  /** Open WebSocket connections. */
  connections: number;
  /** Connected namespace sockets, over all namespaces. */
  sockets: number;
  /** Rooms in the room indexes of all namespaces (each socket's own id room included). */
  rooms: number;
  /** Room memberships (socket, room) pairs, over all namespaces. */
  roomMemberships: number;
  /** Sockets with an entry in the adapters' member -> rooms index. */
  indexedSockets: number;
  /** Acks the server waits for, over all sockets. */
  pendingAcks: number;
  /** Namespace CONNECTs still in middleware. */
  pendingNamespaces: number;
  /** Cluster requests in flight (cluster adapters only). */
  pendingRequests: number;
  /** Remote addresses tracked for `maxConnectionsPerIp`. */
  trackedAddresses: number;
  /** Packets kept for connection-state recovery by in-process stores (bounded by count and age). */
  recoveryPackets: number;
  /** Dropped sessions kept for connection-state recovery by in-process stores (expire after `maxDisconnectionDuration`). */
  recoverySessions: number;
}

interface CountedNamespace {
  readonly adapter: Adapter;
  /** Present when the namespace recovers connection state; only in-process stores report sizes. */
  readonly recovery?: { readonly store: object };
  readonly sockets: ReadonlyMap<string, { readonly pendingAcks: number }>;
}

interface CountedConnection {
  readonly pendingNamespaces: ReadonlySet<string>;
}

/** Walks the namespaces and connections once; meant for soak runs and diagnostics, not hot paths. */
export function collectDebugCounts(
  namespaces: Iterable<CountedNamespace>,
  connections: Iterable<CountedConnection>,
  trackedAddresses: number,
): DebugCounts {
  const counts: DebugCounts = {
    connections: 0,
    sockets: 0,
    rooms: 0,
    roomMemberships: 0,
    indexedSockets: 0,
    pendingAcks: 0,
    pendingNamespaces: 0,
    pendingRequests: 0,
    trackedAddresses,
    recoveryPackets: 0,
    recoverySessions: 0,
  };
  for (const conn of connections) {
    counts.connections++;
    counts.pendingNamespaces += conn.pendingNamespaces.size;
  }
  for (const nsp of namespaces) {
    counts.sockets += nsp.sockets.size;
    for (const socket of nsp.sockets.values()) counts.pendingAcks += socket.pendingAcks;
    const adapter = nsp.adapter;
    counts.rooms += adapter.rooms.size;
    for (const members of adapter.rooms.values()) counts.roomMemberships += members.size;
    counts.indexedSockets += adapter.sids.size;
    const cluster = (adapter as unknown as { metrics?: { pendingRequests?: unknown } }).metrics;
    if (typeof cluster?.pendingRequests === "number") counts.pendingRequests += cluster.pendingRequests;
    const store = nsp.recovery?.store as { size?: unknown; sessionCount?: unknown } | undefined;
    if (typeof store?.size === "number") counts.recoveryPackets += store.size;
    if (typeof store?.sessionCount === "number") counts.recoverySessions += store.sessionCount;
  }
  return counts;
}
