// The events the consumer's server and client agree on, typed as a Socket.IO app types them.
export interface ClientToServer {
  hello: (name: string, ack: (reply: { greeting: string }) => void) => void;
}

export interface ServerToClient {
  news: (text: string) => void;
}
