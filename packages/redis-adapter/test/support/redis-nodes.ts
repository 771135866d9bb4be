import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { io as connect, type Socket as ClientSocket } from "@roomcast/client";
import { type AdapterConstructor, type ClusterAdapter, Server, type ServerOptionsInput } from "@roomcast/core";
import { Redis } from "ioredis";

export const quietLogger = { warn: () => {}, error: () => {} };

/** A roomcast server whose adapter talks through its own pair of Redis clients. */
export interface RedisNode {
  io: Server;
  port: number;
  clients: Redis[];
  adapter(nsp?: string): ClusterAdapter;
}

/** Sockets join `auth.rooms`; events received are recorded per client by `recordingClient`. */
export async function startNode(adapter: AdapterConstructor, clients: Redis[], options: ServerOptionsInput = {}): Promise<RedisNode> {
  const io = new Server(0, { adapter, logger: quietLogger, ...options });
  io.on("connection", (socket) => {
    const auth = socket.handshake.auth as { rooms?: string[] };
    if (auth.rooms) socket.join(auth.rooms);
  });
  const http = io.httpServer!;
  if (!http.listening) await once(http, "listening");
  return { io, port: (http.address() as AddressInfo).port, clients, adapter: (nsp = "/") => io.of(nsp).adapter as ClusterAdapter };
}

export async function stopNode(node: RedisNode): Promise<void> {
  try {
    await node.io.close();
  } finally {
    for (const client of node.clients) client.disconnect();
  }
}

/** A client that records every event name it receives. */
export interface RecordingClient {
  socket: ClientSocket;
  events: unknown[][];
  count(event: string): number;
}

export async function recordingClient(port: number, rooms: string[] = []): Promise<RecordingClient> {
  const socket = connect(`http://127.0.0.1:${port}`, { forceNew: true, auth: { rooms }, reconnection: false });
  const events: unknown[][] = [];
  socket.onAny((...args: unknown[]) => events.push(args));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no connection to port ${port}`)), 10_000);
    socket.once("connect", () => {
      clearTimeout(timer);
      resolve();
    });
    socket.once("connect_error", (err: Error) => {
      clearTimeout(timer);
      reject(err);
    });
  });
  return { socket, events, count: (event) => events.filter((e) => e[0] === event).length };
}

/** Polls `condition` until it holds or `timeoutMs` passes. */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
