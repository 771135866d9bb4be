import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { io as connect, type Socket as ClientSocket } from "@roomcast/client";
import { Server, type ServerOptionsInput } from "@roomcast/core";
import { Redis } from "ioredis";
import { createAdapter, createStreamsStore } from "../../src/index.js";
import { quietLogger } from "./redis-nodes.js";

/** One handler run: which node ran it, for which argument. */
export interface Run {
  node: string;
  n: number;
}

/** A server whose "order" handler records each run, answers `{ n, by }`, and can be held before it answers. */
export interface OnceNode {
  name: string;
  io: Server;
  port: number;
  close(): Promise<void>;
}

/** Holds handlers until `open()` (or for `delayMs` each): a run in progress when the connection drops. */
export class Gate {
  private waiting: Promise<void> = Promise.resolve();
  private release: () => void = () => {};

  constructor(private readonly delayMs = 0) {}

  /** From now on handlers wait until `open()`. */
  hold(): void {
    this.waiting = new Promise((resolve) => (this.release = resolve));
  }

  open(): void {
    this.release();
  }

  wait(): Promise<void> {
    if (this.delayMs === 0) return this.waiting;
    return new Promise<void>((resolve) => setTimeout(resolve, this.delayMs)).then(() => this.waiting);
  }
}

/**
 * Starts a node on 127.0.0.1 with connection-state recovery: in memory when `redisUrl` is
 * undefined, else the Redis adapter and the streams store. Every run of "order" is pushed to `runs`.
 */
export async function startOnceNode(name: string, runs: Run[], gate: Gate, redisUrl?: string, options: ServerOptionsInput = {}): Promise<OnceNode> {
  let redis: Redis[] = [];
  let io: Server;
  if (redisUrl === undefined) {
    io = new Server(0, { logger: quietLogger, connectionStateRecovery: {}, ...options });
  } else {
    const pub = new Redis(redisUrl);
    const sub = pub.duplicate();
    redis = [pub, sub];
    io = new Server(0, {
      logger: quietLogger,
      adapter: createAdapter(pub, sub, { logger: quietLogger, heartbeatInterval: 500 }),
      connectionStateRecovery: { store: createStreamsStore(pub) },
      ...options,
    });
  }
  io.on("connection", (socket) => {
    socket.on("order", async (n: number, ack: (reply: { n: number; by: string }) => void) => {
      runs.push({ node: name, n });
      await gate.wait();
      ack({ n, by: name });
    });
  });
  const http = io.httpServer!;
  if (!http.listening) await once(http, "listening");
  const store = io.sockets.recovery?.store as { ready?: Promise<void> } | undefined;
  await store?.ready;
  let closed = false;
  return {
    name,
    io,
    port: (http.address() as AddressInfo).port,
    close: async () => {
      if (closed) return;
      closed = true;
      await io.close();
      for (const client of redis) client.disconnect();
    },
  };
}

/** A @roomcast/client that resends unanswered emits, reconnecting quickly (no jitter) through `port`. */
export function retryingClient(port: number, ackTimeout = 1000): ClientSocket {
  return connect(`http://127.0.0.1:${port}`, {
    forceNew: true,
    ackTimeout,
    retries: 20,
    reconnectionDelay: 30,
    reconnectionDelayMax: 60,
    randomizationFactor: 0,
  });
}

/** Resolves on the socket's next `event`; rejects after `ms`. */
export function nextEvent(socket: ClientSocket, event: "connect" | "disconnect", ms = 8000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms`)), ms);
    socket.once(event, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** A frame of the roomcast JSON codec that is an ACK. */
export const isAck = (text: string): boolean => text.startsWith("[6,");
