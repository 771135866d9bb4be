import { io as roomcastClient } from "@roomcast/client";
import { io as socketIoClient } from "socket.io-client";
import { waitFor } from "./redis-nodes.js";

/** What both clients offer here: socket.io-client's API, which @roomcast/client mirrors. */
interface AnyClient {
  id: string | undefined;
  recovered: boolean;
  connected: boolean;
  on(event: string, listener: (...args: any[]) => void): unknown;
  timeout(ms: number): { emitWithAck(event: string, ...args: unknown[]): Promise<unknown> };
  disconnect(): unknown;
  io: { reconnection(v: boolean): unknown };
}

/** A client that records every "n" event and every (re)connection. */
export interface TrackedClient {
  label: string;
  socket: AnyClient;
  /** Values of "n" events, in arrival order. */
  received: unknown[];
  /** One entry per "connect": the socket id and whether the session was recovered. */
  connects: { id: string | undefined; recovered: boolean; at: number }[];
  /** Index in `received` where each session began (one per connect). */
  sessionStarts: number[];
}

export type ClientKind = "roomcast" | "socket.io";

/**
 * Connects one client of `kind` to `url` with `auth.rooms`, reconnecting fast (50-200 ms) as
 * after a dropped connection. socket.io-client uses the WebSocket transport only, as behind a
 * load balancer without stickiness.
 */
export function trackedClient(kind: ClientKind, url: string, rooms: string[], label: string): TrackedClient {
  const options = { forceNew: true, auth: { rooms }, reconnectionDelay: 50, reconnectionDelayMax: 200 };
  const socket = (kind === "roomcast" ? roomcastClient(url, options) : socketIoClient(url, { ...options, transports: ["websocket"] })) as unknown as AnyClient;
  const client: TrackedClient = { label, socket, received: [], connects: [], sessionStarts: [] };
  socket.on("n", (value: unknown) => client.received.push(value));
  socket.on("connect", () => {
    client.connects.push({ id: socket.id, recovered: socket.recovered, at: Date.now() });
    client.sessionStarts.push(client.received.length);
  });
  return client;
}

export async function connected(clients: TrackedClient[], count = 1, timeoutMs = 10_000): Promise<void> {
  await waitFor(() => clients.every((c) => c.connects.length >= count && c.socket.connected), `${clients.length} client(s) connected ${count} time(s)`, timeoutMs);
}

export function closeClients(clients: TrackedClient[]): void {
  for (const client of clients) {
    client.socket.io.reconnection(false);
    client.socket.disconnect();
  }
}

/** The numbers among `values` ("n" carries a few strings too, such as "joined <room>"). */
export function numbers(values: unknown[]): number[] {
  return values.filter((v): v is number => typeof v === "number");
}

export const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
