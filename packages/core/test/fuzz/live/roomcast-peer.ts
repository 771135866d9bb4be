import WebSocket from "ws";
import { type Codec, FROM_SERVER, jsonCodec, type Packet } from "@roomcast/protocol";
import { msgpackCodec } from "@roomcast/protocol/msgpack";
import { encodeJson, encodeMsgpack } from "@roomcast/fuzz";

export type CodecName = "json" | "msgpack";

/** A frame as it goes on the wire: its bytes, and whether it is a binary frame. */
export interface WireFrame {
  data: Buffer;
  binary: boolean;
}

export const CODECS: Readonly<Record<CodecName, Codec>> = { json: jsonCodec, msgpack: msgpackCodec };

/** A wire array as a frame of `codec`. */
export function frameOf(wire: unknown[], codec: CodecName): WireFrame {
  return codec === "json" ? { data: Buffer.from(encodeJson(wire) as string), binary: false } : { data: Buffer.from(encodeMsgpack(wire) as Uint8Array), binary: true };
}

type Waiter = { match: (packet: Packet) => boolean; resolve: (result: Packet | "closed") => void };

/**
 * A bare roomcast connection for the live targets: sends frames as given, answers heartbeats, and
 * decodes everything the server sends with the client's decoder, so that a frame a client could
 * not read is caught. Keeps no history: a waiter sees only packets that arrive after it.
 */
export class RoomcastPeer {
  closeCode: number | undefined;
  /** The first frame from the server that a client could not decode. */
  badFrame: string | undefined;
  private readonly waiters = new Set<Waiter>();
  private readonly closed: Promise<number>;

  private constructor(
    readonly ws: WebSocket,
    readonly codec: CodecName,
  ) {
    ws.on("error", () => {});
    this.closed = new Promise((resolve) => {
      ws.on("close", (code) => {
        this.closeCode = code;
        for (const waiter of this.waiters) waiter.resolve("closed");
        this.waiters.clear();
        resolve(code);
      });
    });
    ws.on("message", (data: Buffer, isBinary: boolean) => this.receive(data, isBinary));
  }

  static async open(url: string, codec: CodecName): Promise<RoomcastPeer> {
    const ws = new WebSocket(url, [codec === "json" ? "roomcast.v1.json" : "roomcast.v1.msgpack"]);
    const peer = new RoomcastPeer(ws, codec);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    return peer;
  }

  private receive(data: Buffer, isBinary: boolean): void {
    let packet: Packet;
    try {
      packet = CODECS[this.codec].decode(isBinary ? data : data.toString(), FROM_SERVER);
    } catch (err) {
      this.badFrame ??= `${String(err)}: ${JSON.stringify(isBinary ? [...data.subarray(0, 200)] : data.toString().slice(0, 200))}`;
      return;
    }
    if (packet.type === 7) this.send(frameOf([7], this.codec));
    for (const waiter of this.waiters) {
      if (waiter.match(packet)) {
        this.waiters.delete(waiter);
        waiter.resolve(packet);
      }
    }
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(frame: WireFrame): void {
    if (this.isOpen) this.ws.send(frame.data, { binary: frame.binary });
  }

  sendWire(wire: unknown[]): void {
    this.send(frameOf(wire, this.codec));
  }

  /** The next packet matching `match`, "closed" when the connection closes first, "timeout" after `ms`. */
  next(match: (packet: Packet) => boolean, ms: number): Promise<Packet | "closed" | "timeout"> {
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

  /** Closes with 1000 and waits for the close; cuts the connection if the server does not answer. */
  async close(ms = 3000): Promise<void> {
    if (this.closeCode !== undefined) return;
    this.ws.close(1000);
    const timer = setTimeout(() => this.ws.terminate(), ms);
    await this.closed;
    clearTimeout(timer);
  }
}
