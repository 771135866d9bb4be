/** Events a client sends; the last argument of an event with a reply is its ack. */
export interface ClientToServer {
  /** Joins `room`; the ack gets how many sockets are in it now. */
  join(room: string, ack: (members: number) => void): void;
  leave(room: string, ack: (members: number) => void): void;
}

/** Events the server sends. */
export interface ServerToClient {
  announcement(message: { room: string; text: string }): void;
  /** A question from `POST /poll`; each socket's answer goes back in the ack. */
  poll(question: string, ack: (answer: string) => void): void;
}
