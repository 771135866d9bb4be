import { describe, expect, it } from "vitest";
import {
  CloseCode,
  ErrorCode,
  FROM_CLIENT,
  FROM_SERVER,
  jsonCodec,
  type Packet,
  PacketType,
  ProtocolError,
} from "@roomcast/protocol";
import { msgpackCodec } from "@roomcast/protocol/msgpack";

const packets: Packet[] = [
  { type: PacketType.CONNECT, nsp: "/" },
  { type: PacketType.CONNECT, nsp: "/admin", auth: { token: "t" } },
  { type: PacketType.DISCONNECT, nsp: "/" },
  { type: PacketType.EVENT, nsp: "/", data: ["chat", "hi", { n: 1 }] },
  { type: PacketType.EVENT, nsp: "/x", data: ["chat"], id: 7 },
  { type: PacketType.EVENT, nsp: "/x", data: ["order", { n: 2 }], id: 8, once: true },
  { type: PacketType.ACK, nsp: "/", id: 7, data: [{ ok: true }] },
  { type: PacketType.HEARTBEAT },
];

describe("codecs", () => {
  for (const codec of [jsonCodec, msgpackCodec]) {
    describe(codec.name, () => {
      it("round-trips every client packet", () => {
        for (const packet of packets) expect(codec.decode(codec.encode(packet), FROM_CLIENT)).toEqual(packet);
      });

      it("round-trips server packets", () => {
        const connected: Packet = { type: PacketType.CONNECTED, nsp: "/", info: { sid: "a", pingInterval: 1, pingTimeout: 2 } };
        const error: Packet = { type: PacketType.CONNECT_ERROR, nsp: "/", message: "no", data: { why: 1 } };
        const at: Packet = { type: PacketType.EVENT_AT, nsp: "/", position: "e1:5", data: ["x", 1] };
        for (const p of [connected, error, at]) expect(codec.decode(codec.encode(p), FROM_SERVER)).toEqual(p);
      });

      it("round-trips binary arguments as Uint8Array", () => {
        const bytes = new Uint8Array([0, 1, 2, 253, 254, 255]);
        const packet: Packet = { type: PacketType.EVENT, nsp: "/", data: ["file", bytes, { nested: [bytes.buffer] }] };
        const decoded = codec.decode(codec.encode(packet), FROM_CLIENT) as { data: unknown[] };
        expect(new Uint8Array(decoded.data[1] as Uint8Array)).toEqual(bytes);
        const nested = (decoded.data[2] as { nested: Uint8Array[] }).nested[0];
        expect(new Uint8Array(nested)).toEqual(bytes);
      });

      it("rejects packet types the receiving side does not accept", () => {
        const connected: Packet = { type: PacketType.CONNECTED, nsp: "/", info: { sid: "a", pingInterval: 1, pingTimeout: 2 } };
        expect(() => codec.decode(codec.encode(connected), FROM_CLIENT)).toThrow(ProtocolError);
        // only clients send EVENT_ONCE
        const once: Packet = { type: PacketType.EVENT, nsp: "/", data: ["order"], id: 1, once: true };
        expect(() => codec.decode(codec.encode(once), FROM_SERVER)).toThrow(ProtocolError);
      });

      it("rejects payloads nested deeper than the limit", () => {
        let deep: unknown = 1;
        for (let i = 0; i < 100; i++) deep = [deep];
        const packet: Packet = { type: PacketType.EVENT, nsp: "/", data: ["x", deep] };
        expect(() => codec.decode(codec.encode(packet), FROM_CLIENT)).toThrow(/nested too deeply/);
      });
    });
  }

  describe("json", () => {
    it("encodes an event as a compact array", () => {
      expect(jsonCodec.encode({ type: PacketType.EVENT, nsp: "/", data: ["chat", "hi"] })).toBe('[4,"/","chat","hi"]');
      expect(jsonCodec.encode({ type: PacketType.EVENT, nsp: "/", data: ["chat"], id: 3 })).toBe('[5,"/",3,"chat"]');
      expect(jsonCodec.encode({ type: PacketType.EVENT, nsp: "/", data: ["chat"], id: 3, once: true })).toBe('[9,"/",3,"chat"]');
    });

    it("carries binary as {$bin: base64}", () => {
      const text = jsonCodec.encode({ type: PacketType.EVENT, nsp: "/", data: ["b", new Uint8Array([1, 2, 3])] });
      expect(text).toBe('[4,"/","b",{"$bin":"AQID"}]');
    });

    it("flags invalid JSON with close code 1007", () => {
      try {
        jsonCodec.decode("[4,", FROM_CLIENT);
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(ProtocolError);
        expect((err as ProtocolError).closeCode).toBe(CloseCode.INVALID_PAYLOAD);
        expect((err as ProtocolError).code).toBe(ErrorCode.INVALID_PAYLOAD);
      }
    });

    it("flags a binary frame with close code 1003", () => {
      expect(() => jsonCodec.decode(new Uint8Array([1]), FROM_CLIENT)).toThrow(expect.objectContaining({ closeCode: 1003 }));
    });

    it.each([
      ["not an array", "{}"],
      ["unknown type", "[42]"],
      ["bad namespace", '[4,"chat","x"]'],
      ["non-string event", '[4,"/",1]'],
      ["negative ack id", '[5,"/",-1,"x"]'],
      ["huge ack id", '[5,"/",1e300,"x"]'],
      ["fractional ack id", '[6,"/",1.5]'],
      ["EVENT_ONCE without an id", '[9,"/","x"]'],
      ["EVENT_ONCE without an event", '[9,"/",1]'],
      ["array auth", '[0,"/",[1]]'],
      ["heartbeat with fields", "[7,1]"],
    ])("rejects %s with 1002", (_name, text) => {
      expect(() => jsonCodec.decode(text, FROM_CLIENT)).toThrow(expect.objectContaining({ closeCode: 1002, code: "ERR_INVALID_PACKET" }));
    });
  });

  describe("msgpack", () => {
    it("flags a text frame with close code 1003", () => {
      expect(() => msgpackCodec.decode("[7]", FROM_CLIENT)).toThrow(expect.objectContaining({ closeCode: 1003 }));
    });
    it("flags garbage with close code 1007", () => {
      expect(() => msgpackCodec.decode(new Uint8Array([0x93, 0x04, 0xa1]), FROM_CLIENT)).toThrow(expect.objectContaining({ closeCode: 1007 }));
    });
  });
});

describe("accepted packet types", () => {
  it("lets a server receive only what clients send", () => {
    expect([...FROM_CLIENT].sort()).toEqual(
      [PacketType.CONNECT, PacketType.DISCONNECT, PacketType.EVENT, PacketType.EVENT_WITH_ACK, PacketType.ACK, PacketType.HEARTBEAT, PacketType.EVENT_ONCE].sort(),
    );
  });

  it("lets a client receive only what servers send", () => {
    expect([...FROM_SERVER].sort()).toEqual(
      [
        PacketType.CONNECTED,
        PacketType.CONNECT_ERROR,
        PacketType.DISCONNECT,
        PacketType.EVENT,
        PacketType.EVENT_WITH_ACK,
        PacketType.ACK,
        PacketType.HEARTBEAT,
        PacketType.EVENT_AT,
      ].sort(),
    );
  });
});
