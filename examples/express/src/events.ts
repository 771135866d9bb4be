/** Events a client sends; the last argument of an event with a reply is its ack. */
export interface ClientToServer {
  whoami(ack: (me: { user: string; transport: string }) => void): void;
  /** Joins `room`; the ack gets how many sockets are in it now. */
  join(room: string, ack: (members: number) => void): void;
  say(room: string, text: string): void;
}

/** Events the server sends. */
export interface ServerToClient {
  said(message: { room: string; from: string; text: string }): void;
}

/** What the connection middleware learns from the session, kept on `socket.data`. */
export interface SocketData {
  user: string;
}
