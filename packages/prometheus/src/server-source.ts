import type { Adapter, Namespace, ServerMetrics } from "@roomcast/core";

/** What the exporter reads of a roomcast `Server`: its counters and its namespaces. */
export interface MetricsSource {
  readonly metrics: Readonly<ServerMetrics>;
  /** Namespaces by name (dynamic namespaces' children included). */
  readonly _nsps: ReadonlyMap<string, Namespace<any, any, any, any>>;
}

/** A namespace as the exporter reads it. */
export type SourceNamespace = Namespace<any, any, any, any>;

/** A value under a set of label values. */
export type Sample = readonly [labels: Readonly<Record<string, string>>, value: number];

/** A cluster adapter's counters, as `ClusterAdapter#metrics` reports them (read by shape). */
export interface ClusterCounters {
  readonly encoded: number;
  readonly published: number;
  readonly received: number;
  readonly malformed: number;
  readonly duplicates: number;
  readonly encodeFailures: number;
  readonly handlerErrors: number;
  readonly nodesLost: number;
  readonly pendingRequests: number;
  readonly nodes: number;
  readonly transport: Readonly<Record<string, number>>;
  readonly orderingHolds: number;
  readonly orderingTimeouts: number;
  readonly orderingOverflows: number;
  readonly fenceOverflows: number;
  readonly heldOperations: number;
  readonly fenceTimeouts: number;
}

/** The cluster adapter's counters, when `adapter` is one (the in-memory adapter has none). */
export function clusterCounters(adapter: Adapter): ClusterCounters | undefined {
  const metrics = (adapter as { metrics?: unknown }).metrics as Partial<ClusterCounters> | undefined;
  return typeof metrics?.nodes === "number" && typeof metrics.transport === "object" ? (metrics as ClusterCounters) : undefined;
}

/**
 * Rooms of a namespace's adapter, without the room each socket has under its own id (Socket.IO
 * keeps those too; counted, they would only repeat the number of sockets). Walks the sockets
 * once: for scrapes, not hot paths.
 */
export function applicationRooms(adapter: Adapter): number {
  let own = 0;
  for (const id of adapter.sids.keys()) if (adapter.rooms.has(id)) own++;
  return adapter.rooms.size - own;
}

/** Acks the sockets of `nsp` wait for. */
export function pendingAcks(nsp: SourceNamespace): number {
  let pending = 0;
  for (const socket of nsp.sockets.values()) pending += socket.pendingAcks;
  return pending;
}
