import fc from "fast-check";
import { pack } from "msgpackr";
import { describe, expect, it } from "vitest";
import { FROM_CLIENT, FROM_SERVER, jsonCodec, type Packet, ProtocolError } from "@roomcast/protocol";
import { msgpackCodec } from "@roomcast/protocol/msgpack";

/** Decoding untrusted input either yields a packet of an accepted type or throws a ProtocolError. */
function decodeOrProtocolError(decode: () => Packet, allowed: ReadonlySet<number>): void {
  try {
    const packet = decode();
    expect(allowed.has(packet.type)).toBe(true);
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    expect([1002, 1003, 1007]).toContain((err as ProtocolError).closeCode);
  }
}

/** Values shaped like packets, so the fuzzer reaches past the first checks. */
const packetLike = fc.tuple(
  fc.oneof(fc.integer({ min: -2, max: 10 }), fc.string(), fc.constant(null)),
  fc.oneof(fc.constantFrom("/", "/chat", ""), fc.string(), fc.integer()),
  fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(2 ** 53), fc.constant(-1)),
  fc.jsonValue(),
  fc.anything(),
);

const deep = fc.integer({ min: 1, max: 2000 }).map((depth) => {
  let value: unknown = 0;
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { k: value };
  return [4, "/", "ev", value];
});

describe("decoder fuzzing", () => {
  for (const allowed of [FROM_CLIENT, FROM_SERVER]) {
    const side = allowed === FROM_CLIENT ? "server side" : "client side";

    it(`json (${side}): arbitrary text never escapes as anything but a ProtocolError`, () => {
      fc.assert(
        fc.property(fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.json()), (text) => {
          decodeOrProtocolError(() => jsonCodec.decode(text, allowed), allowed);
        }),
        { numRuns: 2000 },
      );
    });

    it(`json (${side}): packet-shaped and deeply nested values`, () => {
      fc.assert(
        fc.property(fc.oneof(packetLike, deep), (value) => {
          let text: string;
          try {
            text = JSON.stringify(value) ?? "null";
          } catch {
            return; // not representable as JSON (BigInt, cycles): nothing a peer could send
          }
          decodeOrProtocolError(() => jsonCodec.decode(text, allowed), allowed);
        }),
        { numRuns: 2000 },
      );
    });

    it(`msgpack (${side}): arbitrary bytes and packet-shaped values`, () => {
      fc.assert(
        fc.property(fc.oneof(fc.uint8Array({ maxLength: 256 }), packetLike, deep), (value) => {
          const bytes = value instanceof Uint8Array ? value : safePack(value);
          if (bytes) decodeOrProtocolError(() => msgpackCodec.decode(bytes, allowed), allowed);
        }),
        { numRuns: 2000 },
      );
    });
  }

  it("rejects text that is invalid UTF-8 once decoded by the transport", () => {
    // ws rejects invalid UTF-8 in text frames itself (1007); what reaches the codec is a string
    // with replacement characters, which must still be handled as data, never crash.
    const text = new TextDecoder().decode(new Uint8Array([0x5b, 0x34, 0x2c, 0xff, 0xfe, 0x5d]));
    expect(() => jsonCodec.decode(text, FROM_CLIENT)).toThrow(ProtocolError);
  });
});

function safePack(value: unknown): Uint8Array | undefined {
  try {
    return pack(value);
  } catch {
    return undefined; // not representable in msgpack: nothing a peer could send
  }
}
