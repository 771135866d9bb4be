/**
 * Packet model shared by server and client. On the wire every packet is an array whose first
 * element is its type (see docs/PROTOCOL.md); in memory it is one of the objects below.
 */
export const PacketType = {
  CONNECT: 0,
  CONNECTED: 1,
  CONNECT_ERROR: 2,
  DISCONNECT: 3,
  EVENT: 4,
  EVENT_WITH_ACK: 5,
  ACK: 6,
  HEARTBEAT: 7,
  /** An event the server stamped with a stream position, so the client can resume after it. */
  EVENT_AT: 8,
  /**
   * An event whose ack id is also its identity, the same on every resend: the server runs its
   * handler at most once per id and answers every copy with the first reply (docs/PROTOCOL.md §6).
   */
  EVENT_ONCE: 9,
} as const;
export type PacketType = (typeof PacketType)[keyof typeof PacketType];

/** What the server tells a socket when it joins a namespace. */
export interface ConnectedInfo {
  sid: string;
  /** Milliseconds between server heartbeats. */
  pingInterval: number;
  /** Milliseconds the server waits for the heartbeat reply. */
  pingTimeout: number;
  /** Recovery session id, present when the server keeps sessions for this namespace. */
  pid?: string;
  /** True when the server restored the socket's previous session. */
  recovered?: boolean;
  /** With `recovered`: how many EVENT_AT packets follow at once as the replay of what was missed. */
  missed?: number;
  /** Without `recovered`: the namespace's stream position when this session started (resume from it). */
  position?: string;
  [key: string]: unknown;
}

/** What a reconnecting client presents to get its previous session back (see docs/PROTOCOL.md §4). */
export interface ResumeRequest {
  /** Recovery session id from the previous CONNECTED. */
  pid: string;
  /** Position of the last event the client processed ("epoch:offset"). */
  position: string;
}

export interface ConnectPacket {
  type: typeof PacketType.CONNECT;
  nsp: string;
  auth?: Record<string, unknown>;
  resume?: ResumeRequest;
}
export interface ConnectedPacket {
  type: typeof PacketType.CONNECTED;
  nsp: string;
  info: ConnectedInfo;
}
export interface ConnectErrorPacket {
  type: typeof PacketType.CONNECT_ERROR;
  nsp: string;
  message: string;
  data?: unknown;
}
export interface DisconnectPacket {
  type: typeof PacketType.DISCONNECT;
  nsp: string;
}
/**
 * `data` is `[eventName, ...args]`. `id` is present when the sender waits for an ack; with `once`
 * (EVENT_ONCE on the wire, client to server only) it also names the emit across its resends.
 */
export interface EventPacket {
  type: typeof PacketType.EVENT;
  nsp: string;
  data: unknown[];
  id?: number;
  once?: boolean;
}
/** An event carrying the stream position of the packet ("epoch:offset"). */
export interface EventAtPacket {
  type: typeof PacketType.EVENT_AT;
  nsp: string;
  data: unknown[];
  position: string;
}
export interface AckPacket {
  type: typeof PacketType.ACK;
  nsp: string;
  id: number;
  data: unknown[];
}
export interface HeartbeatPacket {
  type: typeof PacketType.HEARTBEAT;
}

export type Packet =
  | ConnectPacket
  | ConnectedPacket
  | ConnectErrorPacket
  | DisconnectPacket
  | EventPacket
  | EventAtPacket
  | AckPacket
  | HeartbeatPacket;

/** Longest `pid` or `position` a resume request may carry. */
export const MAX_RESUME_FIELD_LENGTH = 128;

/** The largest ack id a peer may use; larger ids are a protocol error. */
export const MAX_ACK_ID = 0xffff_ffff;

/** Event names a peer may not emit because the API reserves them. */
export const RESERVED_EVENTS: ReadonlySet<string> = new Set([
  "connect",
  "connect_error",
  "disconnect",
  "disconnecting",
  "newListener",
  "removeListener",
]);
