import type { Packet } from "@roomcast/protocol";
import type { BroadcastFlags, BroadcastOptions, Handshake, Room, SocketId } from "../types.js";

/**
 * The cluster protocol: every message one node (or an emitter) sends to the others. Numbers, not
 * strings, because they travel with every broadcast.
 */
export const MessageType = {
  /** "I am alive". `initial` asks every node that hears it to answer with its own heartbeat. */
  HEARTBEAT: 1,
  /** The node is closing: forget it now instead of waiting for its heartbeat to expire. */
  NODE_CLOSE: 2,
  BROADCAST: 3,
  /** Request: deliver and report the client count, then forward every client reply. */
  BROADCAST_WITH_ACK: 4,
  BROADCAST_CLIENT_COUNT: 5,
  BROADCAST_ACK: 6,
  SOCKETS_JOIN: 7,
  SOCKETS_LEAVE: 8,
  DISCONNECT_SOCKETS: 9,
  FETCH_SOCKETS: 10,
  FETCH_SOCKETS_RESPONSE: 11,
  SERVER_SIDE_EMIT: 12,
  SERVER_SIDE_EMIT_RESPONSE: 13,
  /**
   * Marks, on a room channel, the end of what its origin published there before a membership
   * change: a node applies the change only after the fence of each such channel it listens to.
   */
  FENCE: 14,
  /** Response: the node applied a membership change and its room subscriptions are active. */
  CHANGE_APPLIED: 15,
  /** A run of an emit with an id ended after its socket dropped: for the node that holds its session now. */
  HANDLED_LATE: 16,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** `BroadcastOptions` as it crosses the wire: sets become arrays, `local` never travels. */
export interface WireBroadcastOptions {
  rooms: Room[];
  except?: Room[];
  flags?: Omit<BroadcastFlags, "local">;
}

/** A socket as another node describes it in a fetch-sockets response. */
export interface WireSocketDetails {
  id: SocketId;
  handshake: Handshake;
  rooms: Room[];
  data: unknown;
}

/** Fields every message carries: the sender's uid (nodes ignore their own) and the namespace. */
interface Envelope {
  uid: string;
  nsp: string;
}

export interface HeartbeatMessage extends Envelope {
  type: typeof MessageType.HEARTBEAT;
  initial?: boolean;
}
export interface NodeCloseMessage extends Envelope {
  type: typeof MessageType.NODE_CLOSE;
}
export interface BroadcastMessage extends Envelope {
  type: typeof MessageType.BROADCAST;
  /** Set when the same bytes go out on several room channels, so a receiver can drop copies. */
  mid?: string;
  opts: WireBroadcastOptions;
  packet: Packet;
}
export interface BroadcastWithAckMessage extends Envelope {
  type: typeof MessageType.BROADCAST_WITH_ACK;
  requestId: string;
  opts: WireBroadcastOptions;
  packet: Packet;
}
export interface BroadcastClientCountMessage extends Envelope {
  type: typeof MessageType.BROADCAST_CLIENT_COUNT;
  requestId: string;
  clientCount: number;
}
export interface BroadcastAckMessage extends Envelope {
  type: typeof MessageType.BROADCAST_ACK;
  requestId: string;
  args: unknown[];
}
/**
 * What a membership change carries so that its origin's operations apply in order on every node
 * (see `ordered-publisher.ts`). All absent when the origin needs nothing of the receivers.
 */
export interface ChangeOrdering {
  /** The origin's id for this change; set with `fences` or `confirm`. */
  changeId?: string;
  /** Room channels the origin published on since its previous change; each carries a FENCE with `changeId`. */
  fences?: string[];
  /**
   * Answer CHANGE_APPLIED on the origin's response channel once the change is applied and the
   * rooms it created are subscribed. `2`: also list the nodes known (the origin, an emitter,
   * learns from it whom to wait for).
   */
  confirm?: 1 | 2;
  /**
   * The recovery-store position of the origin's newest recoverable emit made before the change
   * (taken by the store before the change was published): a node applies the change once its
   * store delivered through it. Set with `changeId`.
   */
  storedThrough?: string;
}
export interface SocketsJoinMessage extends Envelope, ChangeOrdering {
  type: typeof MessageType.SOCKETS_JOIN;
  opts: WireBroadcastOptions;
  rooms: Room[];
}
export interface SocketsLeaveMessage extends Envelope, ChangeOrdering {
  type: typeof MessageType.SOCKETS_LEAVE;
  opts: WireBroadcastOptions;
  rooms: Room[];
}
export interface DisconnectSocketsMessage extends Envelope, ChangeOrdering {
  type: typeof MessageType.DISCONNECT_SOCKETS;
  opts: WireBroadcastOptions;
  close: boolean;
}
/** A change of room membership: what holds its origin's later operations until applied. */
export type MembershipChange = SocketsJoinMessage | SocketsLeaveMessage | DisconnectSocketsMessage;
export interface FenceMessage extends Envelope {
  type: typeof MessageType.FENCE;
  changeId: string;
}
export interface ChangeAppliedMessage extends Envelope {
  type: typeof MessageType.CHANGE_APPLIED;
  /** The `changeId` of the change applied. */
  requestId: string;
  /** With `confirm: 2`: the uids of the nodes alive as this node knows them, itself included. */
  nodes?: string[];
}
export interface FetchSocketsMessage extends Envelope {
  type: typeof MessageType.FETCH_SOCKETS;
  requestId: string;
  opts: WireBroadcastOptions;
}
export interface FetchSocketsResponseMessage extends Envelope {
  type: typeof MessageType.FETCH_SOCKETS_RESPONSE;
  requestId: string;
  sockets: WireSocketDetails[];
}
export interface ServerSideEmitMessage extends Envelope {
  type: typeof MessageType.SERVER_SIDE_EMIT;
  /** Present when the sender waits for one reply per node. */
  requestId?: string;
  args: unknown[];
}
export interface HandledLateMessage extends Envelope {
  type: typeof MessageType.HANDLED_LATE;
  pid: string;
  sid: SocketId;
  id: number;
  /** Absent when the run will not answer. */
  reply?: unknown[];
}
export interface ServerSideEmitResponseMessage extends Envelope {
  type: typeof MessageType.SERVER_SIDE_EMIT_RESPONSE;
  requestId: string;
  args: unknown[];
}

/** Messages published on the namespace channel or a room channel. */
export type ClusterRequest =
  | HeartbeatMessage
  | NodeCloseMessage
  | BroadcastMessage
  | BroadcastWithAckMessage
  | SocketsJoinMessage
  | SocketsLeaveMessage
  | DisconnectSocketsMessage
  | FetchSocketsMessage
  | ServerSideEmitMessage
  | FenceMessage
  | HandledLateMessage;

/** Messages published on the requester's own response channel. */
export type ClusterResponse =
  | BroadcastClientCountMessage
  | BroadcastAckMessage
  | FetchSocketsResponseMessage
  | ServerSideEmitResponseMessage
  | ChangeAppliedMessage;

export type ClusterMessage = ClusterRequest | ClusterResponse;

export function toWireOptions(opts: BroadcastOptions): WireBroadcastOptions {
  const wire: WireBroadcastOptions = { rooms: [...opts.rooms] };
  if (opts.except && opts.except.size > 0) wire.except = [...opts.except];
  const flags = opts.flags;
  if (flags) {
    const sent: Omit<BroadcastFlags, "local"> = {};
    if (flags.volatile) sent.volatile = true;
    if (flags.compress !== undefined) sent.compress = flags.compress;
    if (flags.timeout !== undefined) sent.timeout = flags.timeout;
    wire.flags = sent;
  }
  return wire;
}

export function fromWireOptions(wire: WireBroadcastOptions): BroadcastOptions {
  const opts: BroadcastOptions = { rooms: new Set(wire.rooms) };
  if (wire.except) opts.except = new Set(wire.except);
  if (wire.flags) opts.flags = wire.flags;
  return opts;
}
