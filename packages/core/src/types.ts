/** Shared vocabulary of the server and its adapters. */
export type SocketId = string;
export type Room = string;

/** Per-emit flags, set with `volatile`, `compress`, `local` and `timeout(ms)`. */
export interface BroadcastFlags {
  /** Drop the packet for sockets that are not ready (congested or disconnected) instead of queueing. */
  volatile?: boolean;
  /** Ask for permessage-deflate on connections that negotiated it. */
  compress?: boolean;
  /** Deliver on this node only, never through the cluster. */
  local?: boolean;
  /** Milliseconds to wait for acks of a broadcast. */
  timeout?: number;
}

/** Which sockets a broadcast targets: members of any `rooms` (all sockets when empty), minus members of `except`. */
export interface BroadcastOptions {
  rooms: Set<Room>;
  except?: Set<Room>;
  flags?: BroadcastFlags;
}

/** The closed set of reasons a server-side socket disconnects. */
export type DisconnectReason =
  | "server namespace disconnect"
  | "client namespace disconnect"
  | "server shutting down"
  | "transport close"
  | "transport error"
  | "ping timeout"
  | "parse error"
  | "slow consumer"
  | "rate limited"
  | "recovery resync";

/** What the server knows of the connection a socket arrived on. */
export interface Handshake {
  headers: Record<string, string | string[] | undefined>;
  /** Date of the handshake, as a string (as Socket.IO does). */
  time: string;
  /** Milliseconds since the epoch of the handshake. */
  issued: number;
  address: string;
  xdomain: boolean;
  secure: boolean;
  url: string;
  query: Record<string, string | string[]>;
  auth: Record<string, unknown>;
}
