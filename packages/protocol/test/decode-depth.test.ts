import { pack } from "msgpackr";
import { describe, expect, it } from "vitest";
import {
  CloseCode,
  decodeServerJson,
  decodeServerPacket,
  DEFAULT_DECODE_LIMITS,
  ErrorCode,
  FROM_CLIENT,
  FROM_SERVER,
  jsonCodec,
  type Packet,
  PacketType,
  parseJsonFrame,
  ProtocolError,
} from "@roomcast/protocol";
import { msgpackCodec } from "@roomcast/protocol/msgpack";

/** Runs `fn` and returns the ProtocolError it threw (anything else fails the test). */
function protocolError(fn: () => unknown): ProtocolError {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown, "a ProtocolError").toBeInstanceOf(ProtocolError);
  return thrown as ProtocolError;
}

function expectOverDeep(fn: () => unknown): void {
  const err = protocolError(fn);
  expect({ code: err.code, closeCode: err.closeCode }).toEqual({ code: ErrorCode.INVALID_PACKET, closeCode: CloseCode.PROTOCOL_ERROR });
}

function expectInvalidPayload(fn: () => unknown): void {
  const err = protocolError(fn);
  expect({ code: err.code, closeCode: err.closeCode }).toEqual({ code: ErrorCode.INVALID_PAYLOAD, closeCode: CloseCode.INVALID_PAYLOAD });
}

const DEEP = 100_000;
const MAX = DEFAULT_DECODE_LIMITS.maxDepth;

/** `depth` nested JSON arrays around 1, written as text: building the value would recurse here. */
const jsonNest = (depth: number): string => "[".repeat(depth) + "1" + "]".repeat(depth);

/** msgpack bytes: fixarray(4) 4 "/" "ev", then `depth` one-element containers around 1. */
function msgpackEvent(depth: number, container: "array" | "map" = "array"): Uint8Array {
  const head = [0x94, 0x04, 0xa1, 0x2f, 0xa2, 0x65, 0x76];
  // fixarray(1), or fixmap(1) with the key "k"
  const level = container === "array" ? [0x91] : [0x81, 0xa1, 0x6b];
  const bytes = new Uint8Array(head.length + depth * level.length + 1);
  bytes.set(head, 0);
  for (let i = 0; i < depth; i++) bytes.set(level, head.length + i * level.length);
  bytes[bytes.length - 1] = 0x01;
  return bytes;
}

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

describe("decoding depth and invalid input", () => {
  describe("json", () => {
    it("closes a 100,000-deep EVENT that carries a $bin argument with 1002, as any over-deep payload", () => {
      const text = `[4,"/","ev",{"$bin":"AQID"},${jsonNest(DEEP)}]`;
      expectOverDeep(() => jsonCodec.decode(text, FROM_CLIENT));
      // the client's decode path, and its two steps apart
      expectOverDeep(() => decodeServerJson(text));
      expectOverDeep(() => decodeServerPacket(parseJsonFrame(text)));
      expectOverDeep(() => jsonCodec.decode(text, FROM_SERVER));
    });

    it("does the same for objects nested 100,000 deep around a $bin value", () => {
      const text = `[4,"/","ev",${'{"a":'.repeat(DEEP)}{"$bin":"AQID"}${"}".repeat(DEEP)}]`;
      expectOverDeep(() => jsonCodec.decode(text, FROM_CLIENT));
    });

    it("revives $bin values at the deepest level the limit allows, and rejects one level more", () => {
      // args nested MAX levels: the innermost container holds the binary value
      const at = (depth: number) => `[4,"/","ev",${"[".repeat(depth - 1)}{"k":{"$bin":"AQID"}}${"]".repeat(depth - 1)}]`;
      let value = (jsonCodec.decode(at(MAX), FROM_CLIENT) as { data: unknown[] }).data[1];
      for (let i = 0; i < MAX - 1; i++) value = (value as unknown[])[0];
      expect(new Uint8Array((value as { k: Uint8Array }).k)).toEqual(bytes(1, 2, 3));
      expectOverDeep(() => jsonCodec.decode(at(MAX + 1), FROM_CLIENT));
    });

    it("revives only objects whose single key is $bin, and keeps a __proto__ key a key", () => {
      const packet = jsonCodec.decode('[4,"/","ev",{"$bin":"AQID","x":1},{"__proto__":{"$bin":"AQID"}},[{"$bin":"BA=="}]]', FROM_CLIENT) as {
        data: unknown[];
      };
      expect(packet.data[1]).toEqual({ $bin: "AQID", x: 1 });
      const proto = packet.data[2] as Record<string, unknown>;
      expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
      expect(new Uint8Array(Object.getOwnPropertyDescriptor(proto, "__proto__")?.value as Uint8Array)).toEqual(bytes(1, 2, 3));
      expect(new Uint8Array((packet.data[3] as Uint8Array[])[0])).toEqual(bytes(4));
    });

    it("still reports invalid JSON with 1007", () => {
      expectInvalidPayload(() => jsonCodec.decode('[4,"/","ev",{"$bin":"AQID"}', FROM_CLIENT));
    });
  });

  describe("msgpack", () => {
    it("closes an array nested 100,000 deep with 1002, on both sides", () => {
      expectOverDeep(() => msgpackCodec.decode(msgpackEvent(DEEP), FROM_CLIENT));
      expectOverDeep(() => msgpackCodec.decode(msgpackEvent(DEEP), FROM_SERVER));
      expectOverDeep(() => msgpackCodec.decode(msgpackEvent(DEEP, "map"), FROM_CLIENT));
    });

    it("accepts arguments nested exactly as deep as the limit, and closes one level more with 1002", () => {
      expect(msgpackCodec.decode(msgpackEvent(MAX), FROM_CLIENT).type).toBe(PacketType.EVENT);
      expectOverDeep(() => msgpackCodec.decode(msgpackEvent(MAX + 1), FROM_CLIENT));
      expectOverDeep(() => msgpackCodec.decode(msgpackEvent(MAX + 1, "map"), FROM_CLIENT));
      // an empty container counts as a level, as in the JSON codec
      const emptyAtLimit = msgpackEvent(MAX);
      emptyAtLimit[emptyAtLimit.length - 2] = 0x90; // the innermost [1] becomes []
      expect(() => msgpackCodec.decode(emptyAtLimit.subarray(0, emptyAtLimit.length - 1), FROM_CLIENT)).not.toThrow();
    });

    it("closes the never-used type code 0xc1 with 1007, alone or inside a packet", () => {
      expectInvalidPayload(() => msgpackCodec.decode(bytes(0xc1), FROM_CLIENT));
      expectInvalidPayload(() => msgpackCodec.decode(bytes(0x94, 0x04, 0xa1, 0x2f, 0xa2, 0x65, 0x76, 0xc1), FROM_CLIENT));
      expectInvalidPayload(() => msgpackCodec.decode(bytes(0x93, 0x04, 0xa1, 0x2f, 0xc1), FROM_SERVER));
    });

    it("closes extension types other than timestamp and undefined with 1007, so none can nest", () => {
      // fixext 1 of type 0x73 is msgpackr's Set, which reads the value after it: chains recurse
      expectInvalidPayload(() => msgpackCodec.decode(bytes(0x94, 0x04, 0xa1, 0x2f, 0xa2, 0x65, 0x76, 0xd4, 0x73, 0x00, 0x91, 0x01), FROM_CLIENT));
      const chain = new Uint8Array(3 * DEEP + 1).fill(0);
      for (let i = 0; i < DEEP; i++) chain.set([0xd4, 0x73, 0x00], i * 3);
      chain[chain.length - 1] = 0x90;
      expectInvalidPayload(() => msgpackCodec.decode(chain, FROM_CLIENT));
      // a record definition (0x72) and an unknown type
      expectInvalidPayload(() => msgpackCodec.decode(bytes(0x94, 0x04, 0xa1, 0x2f, 0xa2, 0x65, 0x76, 0xd5, 0x72, 0x40, 0x00), FROM_CLIENT));
      expectInvalidPayload(() => msgpackCodec.decode(bytes(0x94, 0x04, 0xa1, 0x2f, 0xa2, 0x65, 0x76, 0xc7, 0x01, 0x10, 0x00), FROM_CLIENT));
    });

    it("still decodes what its own encoder writes: undefined, dates, binary, 64-bit numbers", () => {
      const packet: Packet = {
        type: PacketType.EVENT,
        nsp: "/",
        data: ["ev", undefined, new Date(1_700_000_000_123), new Uint8Array([1, 2]), 2 ** 53 - 1, -(2 ** 40), 1.5, "é".repeat(40), { a: [null, true, false] }],
      };
      const decoded = msgpackCodec.decode(msgpackCodec.encode(packet), FROM_CLIENT) as { data: unknown[] };
      expect(decoded.data.slice(0, 2)).toEqual(["ev", undefined]);
      expect((decoded.data[2] as Date).getTime()).toBe(1_700_000_000_123);
      expect(new Uint8Array(decoded.data[3] as Uint8Array)).toEqual(bytes(1, 2));
      expect(decoded.data.slice(4)).toEqual([2 ** 53 - 1, -(2 ** 40), 1.5, "é".repeat(40), { a: [null, true, false] }]);
      // and what the plain msgpackr functions write, long strings and 16/32-bit headers included
      const args = ["ev", "x".repeat(70_000), new Array<number>(70_000).fill(1)];
      const large = msgpackCodec.decode(pack([4, "/", ...args, new Uint8Array(300)]), FROM_CLIENT) as { data: unknown[] };
      expect(large.data.slice(0, 3)).toEqual(args);
      expect((large.data[3] as Uint8Array).byteLength).toBe(300);
    });

    it("closes truncated frames and trailing bytes with 1007", () => {
      expectInvalidPayload(() => msgpackCodec.decode(bytes(0x94, 0x04, 0xa1, 0x2f), FROM_CLIENT));
      expectInvalidPayload(() => msgpackCodec.decode(bytes(0x93, 0x04, 0xa1, 0x2f, 0xdb, 0xff, 0xff, 0xff, 0xff, 0x61), FROM_CLIENT));
      expectInvalidPayload(() => msgpackCodec.decode(bytes(0x93, 0x04, 0xa1, 0x2f, 0xdd, 0xff, 0xff, 0xff, 0xff), FROM_CLIENT));
      expectInvalidPayload(() => msgpackCodec.decode(bytes(0x92, 0x07, 0x00, 0x00), FROM_CLIENT));
      expectInvalidPayload(() => msgpackCodec.decode(bytes(), FROM_CLIENT));
    });
  });
});
