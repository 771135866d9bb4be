import { io as roomcastIo } from "@roomcast/client";
import { io as socketIoClientIo } from "socket.io-client";
import { nextEvent } from "./next-event.js";

/** What the tests use of a client socket; @roomcast/client and socket.io-client both have it. */
export interface TestClient {
  readonly id: string | undefined;
  readonly connected: boolean;
  on(event: string, listener: (...args: any[]) => void): unknown;
  once(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
  emit(event: string, ...args: unknown[]): unknown;
  timeout(ms: number): { emitWithAck(event: string, ...args: unknown[]): Promise<any> };
  disconnect(): unknown;
}

/** Options both clients take under the same names. */
export interface CommonClientOptions {
  auth?: Record<string, unknown>;
  /** Default false here: a test that wants reconnection asks for it. */
  reconnection?: boolean;
  reconnectionDelay?: number;
  path?: string;
}

/** One client library, and how it reaches a namespace of a server on 127.0.0.1. */
export interface ClientKind {
  readonly name: "@roomcast/client" | "socket.io-client";
  /** Whether the server must serve the Socket.IO endpoint (adapter option `socketio`) for this client. */
  readonly needsSocketIo: boolean;
  open(port: number, namespace?: string, options?: CommonClientOptions): TestClient;
}

export const roomcastClient: ClientKind = {
  name: "@roomcast/client",
  needsSocketIo: false,
  open: (port, namespace = "/", options = {}) =>
    roomcastIo(`http://127.0.0.1:${port}${namespace}`, { forceNew: true, reconnection: false, ...options }) as unknown as TestClient,
};

/** socket.io-client with its defaults: long-polling first, then the upgrade to WebSocket. */
export const socketIoClient: ClientKind = {
  name: "socket.io-client",
  needsSocketIo: true,
  open: (port, namespace = "/", options = {}) =>
    socketIoClientIo(`http://127.0.0.1:${port}${namespace}`, { forceNew: true, reconnection: false, ...options }) as unknown as TestClient,
};

/** Clients a test opened, disconnected after it. */
export class ClientPool {
  private readonly open: TestClient[] = [];

  constructor(private readonly kind: ClientKind) {}

  /** A client that has connected (rejects with the connect_error, or after 5 s). */
  async connect(port: number, namespace?: string, options?: CommonClientOptions): Promise<TestClient> {
    const client = this.kind.open(port, namespace, options);
    this.open.push(client);
    const outcome = await Promise.race([nextEvent(client, "connect").then(() => undefined), nextEvent<[Error]>(client, "connect_error").then(([err]) => err)]);
    if (outcome instanceof Error) throw outcome;
    return client;
  }

  closeAll(): void {
    for (const client of this.open.splice(0)) client.disconnect();
  }
}
