import { afterEach, describe, expect, it } from "vitest";
import type { Socket } from "../../../src/index.js";
import { CLIENT_MODES, nextEvent, startSocketIoServer, type SocketIoTestServer } from "../../support/socketio-client.js";

function bytes(length: number, seed: number): Buffer {
  const buffer = Buffer.alloc(length);
  for (let i = 0; i < length; i++) buffer[i] = (i * 31 + seed) & 0xff;
  return buffer;
}

/** Binary values compare by content, whatever their class (Buffer, ArrayBuffer, Uint8Array). */
function asBuffer(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError(`not binary: ${Object.prototype.toString.call(value)}`);
}

function arrayBufferOf(buffer: Buffer): ArrayBuffer {
  return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer;
}

describe.each(CLIENT_MODES)("socket.io-client binary payloads, $name", (mode) => {
  let server: SocketIoTestServer;
  afterEach(async () => {
    await server?.close();
  });

  async function pair(): Promise<{ client: Awaited<ReturnType<SocketIoTestServer["connected"]>>; socket: Socket }> {
    const connection = nextEvent<[Socket]>(server.io, "connection");
    const client = await server.connected();
    const [socket] = await connection;
    return { client, socket };
  }

  it("client to server: a Buffer, binary nested in objects and arrays, and an ArrayBuffer", async () => {
    server = await startSocketIoServer(mode);
    const { client, socket } = await pair();
    const received = new Promise<unknown[]>((resolve) => socket.on("upload", (...args: unknown[]) => resolve(args)));
    const file = bytes(3000, 1);
    const thumb = bytes(10, 2);
    const raw = bytes(64, 3);
    client.emit("upload", file, { name: "a.png", parts: [thumb, { deep: [raw] }], size: 3000 }, arrayBufferOf(raw), "tail");
    const [first, meta, third, tail] = await received;
    expect(asBuffer(first).equals(file)).toBe(true);
    const m = meta as { name: string; parts: [unknown, { deep: [unknown] }]; size: number };
    expect([m.name, m.size]).toEqual(["a.png", 3000]);
    expect(asBuffer(m.parts[0]).equals(thumb)).toBe(true);
    expect(asBuffer(m.parts[1].deep[0]).equals(raw)).toBe(true);
    expect(asBuffer(third).equals(raw)).toBe(true);
    expect(tail).toBe("tail");
  });

  it("server to client: the same shapes, direct and broadcast", async () => {
    server = await startSocketIoServer(mode);
    const { client, socket } = await pair();
    const direct = nextEvent<unknown[]>(client, "download");
    const broadcast = nextEvent<unknown[]>(client, "everyone");
    const file = bytes(5000, 4);
    const small = bytes(3, 5);
    socket.emit("download", file, { list: [small, "x", { b: arrayBufferOf(small) }] });
    server.io.emit("everyone", [arrayBufferOf(file)], "plain");
    const [gotFile, nested] = await direct;
    expect(asBuffer(gotFile).equals(file)).toBe(true);
    const n = nested as { list: [unknown, string, { b: unknown }] };
    expect(asBuffer(n.list[0]).equals(small)).toBe(true);
    expect(n.list[1]).toBe("x");
    expect(asBuffer(n.list[2].b).equals(small)).toBe(true);
    const [list, plain] = await broadcast;
    expect(asBuffer((list as unknown[])[0]).equals(file)).toBe(true);
    expect(plain).toBe("plain");
  });

  it("binary in acks both ways", async () => {
    server = await startSocketIoServer(mode);
    const { client, socket } = await pair();
    socket.on("reverse", (data: Buffer, ack: (reply: unknown) => void) => ack({ reversed: Buffer.from(asBuffer(data)).reverse(), length: data.length }));
    client.on("checksum", (data: unknown, ack: (reply: unknown) => void) => {
      const buffer = asBuffer(data);
      ack([buffer.reduce((sum, b) => sum + b, 0), buffer.subarray(0, 4)]);
    });
    const input = bytes(256, 6);
    const reply = (await client.emitWithAck("reverse", input)) as { reversed: unknown; length: number };
    expect(reply.length).toBe(256);
    expect(asBuffer(reply.reversed).equals(Buffer.from(input).reverse())).toBe(true);
    const [sum, head] = (await socket.timeout(2000).emitWithAck("checksum", arrayBufferOf(input))) as [number, unknown];
    expect(sum).toBe(input.reduce((s, b) => s + b, 0));
    expect(asBuffer(head).equals(input.subarray(0, 4))).toBe(true);
  });

  // Long-polling only: the websocket-only mode has no polling session to test.
  if (mode.first === "polling") {
    it("binary both ways over long-polling (upgrade: false), where attachments travel as base64", async () => {
      server = await startSocketIoServer(mode);
      const connection = nextEvent<[Socket]>(server.io, "connection");
      const client = await server.connected("/", { upgrade: false });
      const [socket] = await connection;
      socket.on("echo", (value: unknown, ack: (v: unknown) => void) => ack(value));
      const file = bytes(20_000, 7);
      const reply = (await client.emitWithAck("echo", { file, list: [arrayBufferOf(bytes(5, 8))] })) as { file: unknown; list: unknown[] };
      expect(asBuffer(reply.file).equals(file)).toBe(true);
      expect(asBuffer(reply.list[0]).equals(bytes(5, 8))).toBe(true);
      const pushed = nextEvent<unknown[]>(client, "push");
      socket.emit("push", bytes(1000, 9), "text", [bytes(2, 10)]);
      const [one, text, [two]] = (await pushed) as [unknown, string, unknown[]];
      expect(asBuffer(one).equals(bytes(1000, 9))).toBe(true);
      expect(text).toBe("text");
      expect(asBuffer(two).equals(bytes(2, 10))).toBe(true);
      expect(socket.conn.transport.name).toBe("polling");
    });
  }

  it("binary broadcast acks collect binary replies", async () => {
    server = await startSocketIoServer(mode);
    server.io.on("connection", (socket) => socket.join("r"));
    const a = await server.connected();
    const b = await server.connected();
    a.on("sign", (ack: (sig: Buffer) => void) => ack(Buffer.from("a-sig")));
    b.on("sign", (ack: (sig: Buffer) => void) => ack(Buffer.from("b-sig")));
    const replies = await server.io.to("r").timeout(2000).emitWithAck("sign");
    expect(replies.map((r: unknown) => asBuffer(r).toString()).sort()).toEqual(["a-sig", "b-sig"]);
  });
});
