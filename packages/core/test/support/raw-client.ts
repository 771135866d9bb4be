import WebSocket from "ws";
import { FROM_SERVER, PacketType, Subprotocol, jsonCodec, type Codec, type Packet } from "@roomcast/protocol";
import { msgpackCodec } from "@roomcast/protocol/msgpack";

export interface RawClientOptions {
  /** Codec to offer; "none" offers no subprotocol (the server then uses JSON). */
  protocol?: "json" | "msgpack" | "none";
  /** Extra `Sec-WebSocket-Protocol` entries (e.g. a `roomcast.auth.*` one). */
  extraProtocols?: string[];
  headers?: Record<string, string>;
  /** Answer server heartbeats (default true); false simulates a frozen peer. */
  answerHeartbeats?: boolean;
  /** Max inbound message size of the test client (ws default 100 MiB). */
  maxPayload?: number;
}

export interface CloseInfo {
  code: number;
  reason: string;
}

const DEFAULT_WAIT = 3000;

/**
 * A bare WebSocket client speaking the roomcast protocol, for testing the server without the
 * client package: send packets, wait for packets matching a predicate, observe close codes.
 */
export class RawClient {
  readonly packets: Packet[] = [];
  readonly closed: Promise<CloseInfo>;
  closeInfo: CloseInfo | undefined;
  answerHeartbeats: boolean;
  private waiters = new Set<{ match: (p: Packet) => boolean; resolve: (p: Packet) => void }>();

  private constructor(
    readonly ws: WebSocket,
    readonly codec: Codec,
    options: RawClientOptions,
  ) {
    this.answerHeartbeats = options.answerHeartbeats ?? true;
    this.closed = new Promise((resolve) => {
      ws.on("close", (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        resolve(this.closeInfo);
      });
    });
    ws.on("message", (data, isBinary) => {
      const packet = this.codec.decode(isBinary ? (data as Buffer) : data.toString(), FROM_SERVER);
      if (packet.type === PacketType.HEARTBEAT && this.answerHeartbeats) this.send({ type: PacketType.HEARTBEAT });
      this.packets.push(packet);
      for (const waiter of this.waiters) {
        if (waiter.match(packet)) {
          this.waiters.delete(waiter);
          waiter.resolve(packet);
        }
      }
    });
  }

  /** Opens a WebSocket; resolves once open (rejects on a refused upgrade). */
  static connect(url: string, options: RawClientOptions = {}): Promise<RawClient> {
    const protocol = options.protocol ?? "json";
    const offer: string[] = protocol === "none" ? [] : [protocol === "json" ? Subprotocol.JSON : Subprotocol.MSGPACK];
    offer.push(...(options.extraProtocols ?? []));
    const ws = new WebSocket(url, offer, { headers: options.headers, maxPayload: options.maxPayload });
    const codec = protocol === "msgpack" ? msgpackCodec : jsonCodec;
    const client = new RawClient(ws, codec, options);
    return new Promise((resolve, reject) => {
      ws.once("open", () => resolve(client));
      ws.once("error", reject);
      ws.on("error", () => {});
      ws.once("unexpected-response", (_req, res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => (body += chunk.toString()));
        res.on("end", () => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode, body })));
      });
    });
  }

  send(packet: Packet): void {
    this.ws.send(this.codec.encode(packet));
  }

  /** Sends raw bytes or text, bypassing the codec. */
  sendRaw(data: string | Buffer, binary = typeof data !== "string"): void {
    this.ws.send(data, { binary });
  }

  /** Resolves with the first packet (already received or coming) that matches. */
  waitFor(match: (p: Packet) => boolean, timeout = DEFAULT_WAIT): Promise<Packet> {
    const found = this.packets.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (p: Packet) => {
          clearTimeout(timer);
          resolve(p);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error("timed out waiting for a packet"));
      }, timeout);
      this.waiters.add(waiter);
    });
  }

  /** Sends CONNECT and resolves with CONNECTED or CONNECT_ERROR for that namespace. */
  async join(nsp = "/", auth?: Record<string, unknown>): Promise<Packet> {
    this.send(auth === undefined ? { type: PacketType.CONNECT, nsp } : { type: PacketType.CONNECT, nsp, auth });
    return this.waitFor((p) => (p.type === PacketType.CONNECTED || p.type === PacketType.CONNECT_ERROR) && p.nsp === nsp);
  }

  /** Joins and returns the socket id; throws on CONNECT_ERROR. */
  async joinOk(nsp = "/", auth?: Record<string, unknown>): Promise<string> {
    const packet = await this.join(nsp, auth);
    if (packet.type !== PacketType.CONNECTED) throw new Error(`connect error: ${JSON.stringify(packet)}`);
    return packet.info.sid;
  }

  emit(nsp: string, event: string, ...args: unknown[]): void {
    this.send({ type: PacketType.EVENT, nsp, data: [event, ...args] });
  }

  emitWithId(nsp: string, id: number, event: string, ...args: unknown[]): void {
    this.send({ type: PacketType.EVENT, nsp, data: [event, ...args], id });
  }

  ack(nsp: string, id: number, ...args: unknown[]): void {
    this.send({ type: PacketType.ACK, nsp, id, data: args });
  }

  /** Event packets received (optionally for one namespace / event name). */
  events(nsp?: string, event?: string): { nsp: string; data: unknown[]; id?: number }[] {
    const out: { nsp: string; data: unknown[]; id?: number }[] = [];
    for (const p of this.packets) {
      if (p.type !== PacketType.EVENT) continue;
      if (nsp !== undefined && p.nsp !== nsp) continue;
      if (event !== undefined && p.data[0] !== event) continue;
      out.push(p);
    }
    return out;
  }

  /** Waits for an event with that name (in namespace `nsp`). */
  waitForEvent(event: string, nsp = "/", timeout = DEFAULT_WAIT): Promise<Packet & { type: 4 }> {
    return this.waitFor((p) => p.type === PacketType.EVENT && p.nsp === nsp && p.data[0] === event, timeout) as Promise<
      Packet & { type: 4 }
    >;
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
  }

  /** Stops reading from the TCP socket, so the server's writes pile up. */
  pauseReading(): void {
    (this.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  }
}
