import type { ServerMetrics, TrafficDialect } from "@roomcast/core";
import {
  applicationRooms,
  type ClusterCounters,
  clusterCounters,
  type MetricsSource,
  pendingAcks,
  type Sample,
  type SourceNamespace,
} from "./server-source.js";

/** How the samples of one metric are read at scrape time. */
export interface MetricDefinition {
  /** Name after the prefix, with the unit and `_total` suffixes of Prometheus's conventions. */
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "gauge";
  readonly labelNames: readonly string[];
  /** The samples now; samples whose labels repeat are added up. */
  read(source: MetricsSource, namespaceLabel: (name: string) => string): Sample[];
}

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});
const DIALECTS: readonly TrafficDialect[] = ["json", "msgpack", "socketio"];

type Counters = Omit<ServerMetrics, "traffic" | "closeCodes">;

/** A number of `io.metrics`. */
function server(name: string, type: "counter" | "gauge", help: string, key: keyof Counters): MetricDefinition {
  return { name, help, type, labelNames: [], read: (source) => [[NO_LABELS, source.metrics[key]]] };
}

/** One traffic figure, by dialect. */
function traffic(name: string, help: string, key: "eventsReceived" | "eventsSent" | "bytesReceived" | "bytesSent"): MetricDefinition {
  return {
    name,
    help,
    type: "counter",
    labelNames: ["dialect"],
    read: (source) => DIALECTS.map((dialect) => [{ dialect }, source.metrics.traffic[dialect][key]] as const),
  };
}

/** A figure of each namespace, under its (mapped) name. */
function perNamespace(
  name: string,
  type: "counter" | "gauge",
  help: string,
  value: (nsp: SourceNamespace) => number | undefined,
): MetricDefinition {
  return {
    name,
    help,
    type,
    labelNames: ["namespace"],
    read: (source, namespaceLabel) => {
      const samples: Sample[] = [];
      for (const nsp of source._nsps.values()) {
        const figure = value(nsp);
        if (figure !== undefined) samples.push([{ namespace: namespaceLabel(nsp.name) }, figure]);
      }
      return samples;
    },
  };
}

/** A cluster adapter's figure, per namespace (nothing without a cluster adapter). */
function cluster(name: string, type: "counter" | "gauge", help: string, value: (counters: ClusterCounters) => number): MetricDefinition {
  return perNamespace(name, type, help, (nsp) => {
    const counters = clusterCounters(nsp.adapter);
    return counters === undefined ? undefined : value(counters);
  });
}

/**
 * A counter of the cluster transport (the Redis adapter's bus). Every namespace shares one
 * transport, so it is read once, from the main namespace's adapter.
 */
function transport(name: string, type: "counter" | "gauge", help: string, key: string): MetricDefinition {
  return {
    name,
    help,
    type,
    labelNames: [],
    read: (source) => {
      const main = source._nsps.get("/");
      const value = main === undefined ? undefined : clusterCounters(main.adapter)?.transport[key];
      return typeof value === "number" ? [[NO_LABELS, value]] : [];
    },
  };
}

/** Every metric the exporter registers. */
export const METRIC_DEFINITIONS: readonly MetricDefinition[] = [
  // connections and sockets
  server("connections", "gauge", "Open connections (WebSocket and long-polling), every dialect.", "connections"),
  server("connections_opened_total", "counter", "Connections accepted since start.", "connectionsOpened"),
  {
    name: "connections_closed_total",
    help: "Closed connections by close code: the server's when it closed first, else the peer's (1005: none given, 1006: dropped; other: a peer's code outside RFC 6455 and roomcast's).",
    type: "counter",
    labelNames: ["code"],
    read: (source) => [...source.metrics.closeCodes].map(([code, count]) => [{ code: code === 0 ? "other" : String(code) }, count] as const),
  },
  server("upgrades_rejected_total", "counter", "Connection requests refused with an HTTP error (origin, allowRequest, per-address limit, middleware).", "upgradesRejected"),
  server("handshake_timeouts_total", "counter", "Requests closed with 408 because their headers took longer than handshakeTimeout.", "handshakeTimeouts"),
  perNamespace("sockets", "gauge", "Connected sockets of this node, by namespace.", (nsp) => nsp.sockets.size),
  perNamespace("rooms", "gauge", "Rooms with members on this node, by namespace (each socket's own id room left out).", (nsp) => applicationRooms(nsp.adapter)),
  server("connect_errors_total", "counter", "Namespace connections refused (unknown namespace, middleware, limits).", "connectErrors"),
  server("connect_timeouts_total", "counter", "Connections closed with 4002: no namespace joined within connectTimeout.", "connectTimeouts"),
  server("heartbeat_timeouts_total", "counter", "Connections closed with 4001: the peer stopped answering heartbeats.", "heartbeatTimeouts"),
  server("protocol_errors_total", "counter", "Connections closed for invalid or oversized frames, or too many pings or packets.", "protocolErrors"),
  server("shutdown_batches_total", "counter", "Batches of connections closed with 1012 by io.close().", "shutdownBatches"),

  // traffic
  traffic("events_received_total", "Events received from clients, by dialect (json and msgpack: roomcast's protocol; socketio: Socket.IO v5).", "eventsReceived"),
  traffic("events_sent_total", "Events queued for clients, one per recipient, by dialect.", "eventsSent"),
  traffic("received_bytes_total", "Bytes received from clients (WebSocket payloads, long-polling bodies), by dialect.", "bytesReceived"),
  traffic("sent_bytes_total", "Bytes handed to client sockets, by dialect.", "bytesSent"),
  server("packets_received_total", "counter", "Packets of every type decoded from clients.", "packetsReceived"),
  server("packets_sent_total", "counter", "Packets of every type queued for clients, one per recipient.", "packetsSent"),
  server("frames_written_total", "counter", "Frames written to client sockets.", "framesWritten"),
  server("writes_total", "counter", "Batched writes to client sockets: one per connection per tick with something to send.", "flushes"),

  // acks, losses and limits
  perNamespace("acks_pending", "gauge", "Acks the server waits for from clients, by namespace.", pendingAcks),
  server("ack_timeouts_total", "counter", "Acks (single or broadcast) that timed out.", "ackTimeouts"),
  server("volatile_drops_total", "counter", "Volatile packets dropped because the connection was congested or not open.", "volatileDrops"),
  server("slow_consumer_closes_total", "counter", "Connections closed with 4000 because their outbound buffer passed maxBufferedBytes.", "slowConsumerCloses"),
  server("rate_limited_events_total", "counter", "Incoming events dropped by the rate limiter.", "rateLimitedEvents"),
  server("rate_limit_closes_total", "counter", "Connections closed with 4003 by the rate limiter.", "rateLimitCloses"),
  server("emit_resends_answered_total", "counter", "Resends of an emit with an id already run (exactly-once retries), answered with the kept reply instead of running the handler again.", "duplicateEmits"),
  server("emits_refused_total", "counter", "Emits with an id refused: too many still running (ERR_TOO_MANY_PENDING_EMITS), or a resend whose reply was too large to keep (ERR_REPLY_TOO_LARGE).", "refusedEmits"),
  server("handler_errors_total", "counter", "Errors thrown by application handlers and middleware.", "handlerErrors"),

  // connection-state recovery
  {
    name: "recovery_resumes_total",
    help: "Resume attempts of connection-state recovery, by namespace and outcome (recovered, or failed: a fresh session).",
    type: "counter",
    labelNames: ["namespace", "outcome"],
    read: (source, namespaceLabel) => {
      const samples: Sample[] = [];
      for (const nsp of source._nsps.values()) {
        const stats = nsp.recovery?.stats;
        if (stats === undefined) continue;
        const namespace = namespaceLabel(nsp.name);
        samples.push([{ namespace, outcome: "recovered" }, stats.recovered], [{ namespace, outcome: "failed" }, stats.failed]);
      }
      return samples;
    },
  },
  perNamespace("recovery_sessions_kept_total", "counter", "Sessions of dropped sockets kept for connection-state recovery, by namespace.", (nsp) => nsp.recovery?.stats.persisted),
  perNamespace("recovery_resyncs_total", "counter", "Sockets closed with 4005 (RESYNC) because packets they were sent were lost in a Redis outage: their clients resume with recovered === false, by namespace.", (nsp) => nsp.recovery?.stats.resynced),
  perNamespace("recovery_takeovers_total", "counter", "Stale sockets closed because their session was resumed while they were still connected (on another node, or on the same one after a half-open connection), by namespace.", (nsp) => nsp.recovery?.stats.takenOver),
  perNamespace("recovery_store_errors_total", "counter", "Failed operations of the connection-state recovery store, by namespace.", (nsp) => nsp.recovery?.stats.storeErrors),

  // cluster
  cluster("cluster_nodes", "gauge", "Nodes of the cluster alive as this node sees them (itself included), by namespace.", (counters) => counters.nodes + 1),
  cluster("cluster_nodes_lost_total", "counter", "Nodes that stopped heartbeating without a close notice, by namespace.", (counters) => counters.nodesLost),
  cluster("cluster_requests_pending", "gauge", "Cluster requests in flight (fetchSockets, serverSideEmit with ack, broadcast acks), by namespace.", (counters) => counters.pendingRequests),
  cluster("cluster_messages_published_total", "counter", "Cluster messages published (one per channel), by namespace.", (counters) => counters.published),
  cluster("cluster_messages_received_total", "counter", "Cluster messages from other nodes acted on, by namespace.", (counters) => counters.received),
  cluster("cluster_messages_malformed_total", "counter", "Payloads that were not valid cluster messages, by namespace.", (counters) => counters.malformed),
  cluster("cluster_messages_duplicate_total", "counter", "Copies of multi-room broadcasts dropped, by namespace.", (counters) => counters.duplicates),
  cluster("cluster_encode_failures_total", "counter", "Cluster messages that could not be encoded, by namespace.", (counters) => counters.encodeFailures),
  cluster("cluster_ordering_holds_total", "counter", "Membership changes after which this node held its later cluster operations until every node confirmed (docs/DEPLOYMENT.md, order of operations), by namespace.", (counters) => counters.orderingHolds),
  cluster("cluster_ordering_timeouts_total", "counter", "Holds ended by orderingTimeout with a confirmation missing: that node may apply what followed out of order, by namespace.", (counters) => counters.orderingTimeouts),
  cluster("cluster_ordering_overflows_total", "counter", "Holds ended early because maxHeldOperations operations were waiting, by namespace.", (counters) => counters.orderingOverflows),
  cluster("cluster_held_operations", "gauge", "Cluster operations held now, waiting for confirmations, by namespace.", (counters) => counters.heldOperations),
  cluster("cluster_fence_timeouts_total", "counter", "Other origins' changes applied without all their fences (sharded Redis), by namespace.", (counters) => counters.fenceTimeouts),
  cluster("cluster_fence_overflows_total", "counter", "Changes that could not fence every room channel published on before them (sharded Redis), by namespace.", (counters) => counters.fenceOverflows),
  cluster("cluster_handler_errors_total", "counter", "Errors while handling another node's message, by namespace.", (counters) => counters.handlerErrors),

  // Redis (the cluster transport's own counters)
  transport("redis_connected", "gauge", "1 while both Redis connections (publisher, subscriber) are ready, else 0.", "connected"),
  transport("redis_publishes_pending", "gauge", "Publishes waiting for Redis now.", "pendingPublishes"),
  transport("redis_publishes_total", "counter", "Publishes Redis acknowledged.", "published"),
  transport("redis_publish_failures_total", "counter", "Publishes Redis never acknowledged (connection lost with the command in flight).", "publishFailures"),
  transport("redis_outage_drops_total", "counter", "Messages dropped unsent: volatile while Redis was down, or too many publishes pending.", "dropped"),
  transport("redis_queued_while_down_total", "counter", "Messages queued while Redis was down and sent late, after reconnecting.", "queuedWhileDown"),
  transport("redis_subscribe_failures_total", "counter", "SUBSCRIBE commands that failed.", "subscribeFailures"),
  transport("redis_errors_total", "counter", "Error events of the Redis connections.", "errors"),
  transport("redis_reconnects_total", "counter", "Times the subscriber connection came back and resubscribed.", "reconnects"),
];
