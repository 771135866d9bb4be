/** Events a client sends; the last argument of an event with a reply is its ack. */
export interface ClientToServer {
  /** Joins `room`; the ack gets the names of the sockets in it now. */
  join(room: string, ack: (names: string[]) => void): void;
  /** Sends `text` to the room's other sockets. */
  message(room: string, text: string): void;
}

/** Events the server sends. `from` is a socket's name, or "http" for `POST /rooms/:room/messages`. */
export interface ServerToClient {
  message(message: { room: string; from: string; text: string }): void;
}

/** Set by the connection middleware from `socket.handshake.auth`. */
export interface SocketData {
  name: string;
}
