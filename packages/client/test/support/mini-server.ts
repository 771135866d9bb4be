/**
 * Stand-in for @roomcast/core's Server while it is being built: the Socket.IO-style subset the
 * client tests use (connection, middleware, namespaces, events, acks, heartbeats, close).
 */
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import { FROM_CLIENT, jsonCodec, PacketType, Subprotocol, type Packet, type Codec } from "@roomcast/protocol";
import { msgpackCodec } from "@roomcast/protocol/msgpack";
import { EventEmitter } from "node:events";

interface Options {
  path?: string;
  pingInterval?: number;
  pingTimeout?: number;
}

type Middleware = (socket: MiniSocket, next: (err?: Error & { data?: unknown }) => void) => void;

class MiniNamespace extends EventEmitter {
  middlewares: Middleware[] = [];
  use(fn: Middleware): this {
    this.middlewares.push(fn);
    return this;
  }
}

export class MiniSocket extends EventEmitter {
  id = Math.random().toString(36).slice(2);
  private acks = new Map<number, (...args: unknown[]) => void>();
  private nextAck = 0;
  constructor(
    readonly nsp: string,
    private readonly send: (p: Packet) => void,
    readonly handshake: { auth: Record<string, unknown>; query: Record<string, string>; headers: Record<string, unknown> },
  ) {
    super();
  }
  override emit(ev: string, ...args: unknown[]): boolean {
    if (ev === "disconnect") return super.emit(ev, ...args);
    const last = args[args.length - 1];
    if (typeof last === "function") {
      args.pop();
      const id = this.nextAck++;
      this.acks.set(id, last as never);
      this.send({ type: PacketType.EVENT, nsp: this.nsp, data: [ev, ...args], id });
    } else this.send({ type: PacketType.EVENT, nsp: this.nsp, data: [ev, ...args] });
    return true;
  }
  disconnect(): void {
    this.send({ type: PacketType.DISCONNECT, nsp: this.nsp });
    super.emit("disconnect", "server namespace disconnect");
  }
  onPacket(packet: Packet): void {
    if (packet.type === PacketType.EVENT) {
      const args = packet.data.slice(1);
      if (packet.id !== undefined) {
        const id = packet.id;
        args.push((...reply: unknown[]) => this.send({ type: PacketType.ACK, nsp: this.nsp, id, data: reply }));
      }
      super.emit(packet.data[0] as string, ...args);
    } else if (packet.type === PacketType.ACK) {
      const ack = this.acks.get(packet.id);
      this.acks.delete(packet.id);
      ack?.(...packet.data);
    }
  }
}

export class Server extends EventEmitter {
  readonly httpServer: HttpServer;
  private readonly wss: WebSocketServer;
  private readonly nsps = new Map<string, MiniNamespace>();
  private readonly timers = new Set<ReturnType<typeof setInterval>>();

  constructor(srv: number | HttpServer, opts: Options = {}) {
    super();
    const pingInterval = opts.pingInterval ?? 25_000;
    const pingTimeout = opts.pingTimeout ?? 20_000;
    this.httpServer = typeof srv === "number" ? createServer() : srv;
    this.wss = new WebSocketServer({
      server: this.httpServer,
      path: opts.path ?? "/roomcast",
      handleProtocols: (protocols) => [...protocols].find((p) => p === Subprotocol.JSON || p === Subprotocol.MSGPACK) ?? false,
    });
    this.nsps.set("/", new MiniNamespace());
    this.wss.on("connection", (ws: WebSocket, req) => {
      const codec: Codec = ws.protocol === Subprotocol.MSGPACK ? msgpackCodec : jsonCodec;
      const send = (p: Packet) => ws.send(codec.encode(p));
      const sockets = new Map<string, MiniSocket>();
      const query = Object.fromEntries(new URL(req.url ?? "/", "http://x").searchParams);
      const timer = setInterval(() => send({ type: PacketType.HEARTBEAT }), pingInterval);
      this.timers.add(timer);
      ws.on("error", () => {});
      ws.on("close", () => {
        clearInterval(timer);
        this.timers.delete(timer);
        for (const s of sockets.values()) s.emit("disconnect", "transport close");
      });
      ws.on("message", (data: Buffer, isBinary: boolean) => {
        const packet = codec.decode(isBinary ? data : data.toString(), FROM_CLIENT);
        if (packet.type === PacketType.HEARTBEAT) return;
        if (packet.type === PacketType.CONNECT) {
          const nsp = this.nsps.get(packet.nsp);
          if (!nsp) return send({ type: PacketType.CONNECT_ERROR, nsp: packet.nsp, message: "Invalid namespace" });
          const socket = new MiniSocket(packet.nsp, send, { auth: packet.auth ?? {}, query, headers: req.headers });
          const run = (i: number): void => {
            const mw = nsp.middlewares[i];
            if (!mw) {
              sockets.set(packet.nsp, socket);
              send({ type: PacketType.CONNECTED, nsp: packet.nsp, info: { sid: socket.id, pingInterval, pingTimeout } });
              nsp.emit("connection", socket);
              return;
            }
            mw(socket, (err) => {
              if (err) send({ type: PacketType.CONNECT_ERROR, nsp: packet.nsp, message: err.message, data: err.data });
              else run(i + 1);
            });
          };
          return run(0);
        }
        const socket = sockets.get((packet as { nsp: string }).nsp);
        if (packet.type === PacketType.DISCONNECT) {
          sockets.delete(packet.nsp);
          socket?.emit("disconnect", "client namespace disconnect");
          return;
        }
        socket?.onPacket(packet);
      });
    });
    if (typeof srv === "number") this.httpServer.listen(srv);
  }

  get port(): number {
    return (this.httpServer.address() as AddressInfo).port;
  }

  of(name: string): MiniNamespace {
    let nsp = this.nsps.get(name);
    if (!nsp) this.nsps.set(name, (nsp = new MiniNamespace()));
    return nsp;
  }
  use(fn: Middleware): this {
    this.of("/").use(fn);
    return this;
  }
  override on(ev: string, fn: (...args: any[]) => void): this {
    this.of("/").on(ev, fn);
    return this;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    for (const ws of this.wss.clients) ws.close(1012);
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.httpServer.closeAllConnections();
    if (this.httpServer.listening) await new Promise<void>((resolve) => this.httpServer.close(() => resolve()));
  }
}
