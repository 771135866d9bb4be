import type { IncomingMessage } from "node:http";
import type { Connection, ConnectionSocket } from "./connection.js";

/**
 * `socket.client`, as in Socket.IO: the one client behind every namespace socket of a
 * connection. Apps mostly read `client.conn` and `client.request`; `client.sockets` lists the
 * namespace sockets it holds (Socket.IO calls it `nsps`, also offered).
 */
export class Client {
  constructor(
    /** The connection (`socket.conn`). */
    readonly conn: Connection,
  ) {}

  /** The HTTP request that opened the connection. */
  get request(): IncomingMessage {
    return this.conn.request;
  }

  /** The namespace sockets of this client, by namespace name (a copy). */
  get sockets(): ReadonlyMap<string, ConnectionSocket> {
    return this.conn.sockets;
  }

  /** Socket.IO's name for `sockets`. */
  get nsps(): ReadonlyMap<string, ConnectionSocket> {
    return this.conn.sockets;
  }
}
