/** What the clients send. A handler's return value answers the ack. */
export interface ClientToServer {
  join(room: string, ack: (reply: JoinReply) => void): void;
  message(message: { room: string; text: string }, ack: (reply: { delivered: true }) => void): void;
}

/** What the server sends. "exception" is Nest's: a WsException thrown by a handler. */
export interface ServerToClient {
  "user joined"(event: { room: string; nickname: string }): void;
  "user left"(event: { room: string; nickname: string }): void;
  message(message: { room: string; from: string; text: string }): void;
  exception(error: { status: "error"; message: string; cause?: { pattern: string; data: unknown } }): void;
}

export interface SocketData {
  nickname: string;
}

export interface JoinReply {
  room: string;
  /** Nicknames in the room, the joiner included, sorted. */
  members: string[];
}
