/** Types of model.mjs, for the test that checks the model against a real cluster. */

export type Balancer = "least-connections" | "random";
export type Variant = "socketio" | "roomcast" | "recovery-namespace" | "recovery-rooms";

export interface LoadParams {
  nodes: number;
  rooms: number;
  connections: number;
  roomsPerConnection: number;
  zipf: number;
  balancer: Balancer;
  seed: number;
}

export interface Load {
  params: LoadParams;
  /** Per connection: the node it landed on and the rooms (indices) it joined. */
  connections: { node: number; rooms: number[] }[];
  /** members[node * rooms + room]: local members. */
  members: Uint32Array;
  memberTotal: Uint32Array;
  /** Nodes with at least one local member, per room. */
  nodesWith: number[][];
  perNode: Uint32Array;
  roomName(room: number): string;
}

export interface Rates {
  /** Chat messages per connection per second. */
  messagesPerConnection: number;
  roomsPerMessage?: number;
  globalBroadcasts?: number;
  membershipChanges?: number;
  /** ms */
  heartbeatInterval?: number;
  sessionMinutes?: number;
  /** ms */
  sessionRefreshInterval?: number;
  sharded?: boolean;
  maxRoomChannels?: number;
  payloadBytes?: number;
}

export interface PerNode {
  inbound: Float64Array;
  control: Float64Array;
  echoes: Float64Array;
  irrelevant: Float64Array;
  duplicates: Float64Array;
  bytesIn: Float64Array;
  subscriptions: Float64Array;
}

/** Rates per second (bytes per second for the byte fields). */
export interface Traffic {
  variant: Variant;
  publishes: number;
  deliveries: number;
  commands: number;
  bytesIn: number;
  bytesOut: number;
  clientFrames: number;
  clientBytes: number;
  sessionCommands: number;
  subscriptionChanges: number;
  /** Distinct channels (and patterns) in Redis. */
  channels: number;
  /** Subscriptions summed over nodes. */
  subscriptions: number;
  perNode: PerNode;
  inboundMean: number;
  inboundMax: number;
  controlMean: number;
  irrelevantShare: number;
  echoShare: number;
  duplicateShare: number;
  subscriptionsMean: number;
  nodeBytesInMean: number;
}

export const VARIANTS: readonly Variant[];
export const VARIANT_LABELS: Record<Variant, string>;
export function generateLoad(params: LoadParams): Load;
export function modelTraffic(load: Load, rates: Rates, variant: Variant): Traffic;
export function msgpackSize(value: unknown, map16?: boolean): number;
export function respArraySize(lengths: number[]): number;
export function messageSizes(opts?: { nsp?: string; event?: string; payloadBytes?: number; prefix?: string; socketioPrefix?: string }): {
  roomChannel(room: string): string;
  namespaceChannel: string;
  packetsChannel: string;
  broadcast(rooms: string[], withMid: boolean): number;
  streamPayload(rooms: string[]): number;
  heartbeat: number;
  changeApplied: number;
  fence: number;
  clientEvent: number;
  clientEventAt: number;
  [key: string]: unknown;
};
