import WebSocket from "ws";
import { decodeEnginePacket, decodePollingPayload } from "../../../src/dialect/socketio/index.js";

/*
 * Bare Engine.IO v4 peers for the live Socket.IO targets. Every text the server sends is checked
 * the way a client would read it: an Engine.IO packet, and for a message a Socket.IO packet type.
 */

/** Why `text` (one Engine.IO text packet from the server) is not something a client can read, if it is not. */
export function unreadable(text: string): string | undefined {
  let packet;
  try {
    packet = decodeEnginePacket(text, false);
  } catch (err) {
    return `${String(err)}: ${JSON.stringify(text.slice(0, 200))}`;
  }
  if (packet.type === 4 && !/^[0-6]/.test(packet.data as string)) return `a message with no Socket.IO packet type: ${JSON.stringify(text.slice(0, 200))}`;
  return undefined;
}

type Waiter = { match: (text: string) => boolean; resolve: (result: string | "closed") => void };

/** An Engine.IO session over WebSocket that answers pings and keeps no history (waiters see what arrives after them). */
export class SocketIoWsPeer {
  closeCode: number | undefined;
  badFrame: string | undefined;
  private readonly waiters = new Set<Waiter>();
  private readonly closed: Promise<number>;

  private constructor(readonly ws: WebSocket) {
    ws.on("error", () => {});
    this.closed = new Promise((resolve) => {
      ws.on("close", (code) => {
        this.closeCode = code;
        for (const waiter of this.waiters) waiter.resolve("closed");
        this.waiters.clear();
        resolve(code);
      });
    });
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      if (isBinary) return; // an attachment of an echoed binary event
      const text = data.toString();
      this.badFrame ??= unreadable(text);
      if (text === "2") this.ws.send("3");
      for (const waiter of this.waiters) {
        if (waiter.match(text)) {
          this.waiters.delete(waiter);
          waiter.resolve(text);
        }
      }
    });
  }

  /** Opens a session; resolves once its open packet arrived. */
  static async open(wsBase: string): Promise<SocketIoWsPeer> {
    const peer = new SocketIoWsPeer(new WebSocket(`${wsBase}?EIO=4&transport=websocket`));
    const open = await peer.next((text) => text[0] === "0", 5000);
    if (typeof open !== "string" || open === "closed" || open === "timeout") throw new Error(`no open packet: ${open}`);
    return peer;
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(data: Buffer | string, binary = false): void {
    if (this.isOpen) this.ws.send(data, { binary });
  }

  next(match: (text: string) => boolean, ms: number): Promise<string | "closed" | "timeout"> {
    if (this.closeCode !== undefined) return Promise.resolve("closed");
    return new Promise((resolve) => {
      const waiter: Waiter = {
        match,
        resolve: (result) => {
          clearTimeout(timer);
          resolve(result);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        resolve("timeout");
      }, ms);
      this.waiters.add(waiter);
    });
  }

  async close(ms = 3000): Promise<void> {
    if (this.closeCode !== undefined) return;
    this.ws.close(1000);
    const timer = setTimeout(() => this.ws.terminate(), ms);
    await this.closed;
    clearTimeout(timer);
  }
}

export interface HttpReply {
  status: number;
  body: string;
}

/** One long-polling session, by sid; every request gives up after `ms`. */
export class PollingPeer {
  badFrame: string | undefined;

  private constructor(
    private readonly url: string,
    readonly sid: string,
  ) {}

  static async open(httpBase: string): Promise<PollingPeer> {
    const reply = await request(`${httpBase}?EIO=4&transport=polling`, {}, 5000);
    if (reply.status !== 200 || reply.body[0] !== "0") throw new Error(`handshake failed: ${reply.status} ${reply.body}`);
    const { sid } = JSON.parse(reply.body.slice(1)) as { sid: string };
    return new PollingPeer(`${httpBase}?EIO=4&transport=polling&sid=${encodeURIComponent(sid)}`, sid);
  }

  post(body: string, ms = 5000): Promise<HttpReply> {
    return request(this.url, { method: "POST", body }, ms);
  }

  /** A GET; a 200 body is checked packet by packet, and pings are answered. */
  async get(ms = 5000): Promise<HttpReply & { packets: string[] }> {
    const reply = await request(this.url, {}, ms);
    if (reply.status !== 200) return { ...reply, packets: [] };
    let packets: string[] = [];
    try {
      packets = decodePollingPayload(reply.body, { maxPackets: 100_000 }).map((packet) => (typeof packet.data === "string" || packet.data === undefined ? `${packet.type}${packet.data ?? ""}` : "binary"));
    } catch (err) {
      this.badFrame ??= `${String(err)}: ${JSON.stringify(reply.body.slice(0, 200))}`;
    }
    for (const text of packets) if (text !== "binary") this.badFrame ??= unreadable(text);
    if (packets.includes("2")) await this.post("3", ms);
    return { ...reply, packets };
  }
}

async function request(url: string, init: RequestInit, ms: number): Promise<HttpReply> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(ms) });
  return { status: res.status, body: await res.text() };
}
