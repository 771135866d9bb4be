/* The reasons a socket or its manager gives for a disconnect, shared by socket, manager and engine. */

/** Why a socket disconnected: a closed set, as in Socket.IO. */
export type DisconnectReason =
  | "io server disconnect"
  | "io client disconnect"
  | "ping timeout"
  | "transport close"
  | "transport error"
  | "parse error";

/** Details of a transport-level disconnect. */
export interface DisconnectDescription {
  /** WebSocket close code, when the server closed the connection. */
  code?: number;
  reason?: string;
  error?: Error;
}

/** Why the manager's connection closed. "forced close" is a close the client asked for. */
export type ManagerCloseReason = Exclude<DisconnectReason, "io server disconnect" | "io client disconnect"> | "forced close";
