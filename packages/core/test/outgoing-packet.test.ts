import { describe, expect, it } from "vitest";
import { FROM_SERVER, PacketType, jsonCodec, type Codec } from "@roomcast/protocol";
import { msgpackCodec } from "@roomcast/protocol/msgpack";
import { OutgoingPacket } from "../src/dialect/outgoing-packet.js";

/** Reads an unmasked server frame: FIN + opcode, then the payload after a 2, 4 or 10 byte header. */
function readFrame(frame: Buffer): { opcode: number; payload: Buffer } {
  const marker = frame[1];
  const [length, offset] =
    marker < 126 ? [marker, 2] : marker === 126 ? [frame.readUInt16BE(2), 4] : [Number(frame.readBigUInt64BE(2)), 10];
  expect(frame.length).toBe(offset + length);
  return { opcode: frame[0], payload: frame.subarray(offset) };
}

function eventOf(text: string): OutgoingPacket {
  return new OutgoingPacket({ type: PacketType.EVENT, nsp: "/", data: ["e", text] });
}

describe("OutgoingPacket", () => {
  // 2-byte header up to 125, 4-byte up to 65535, 10-byte above; multi-byte characters count in bytes
  const sizes = [0, 100, 111, 112, 113, 114, 115, 200, 65_500, 65_530, 70_000];
  const cases: [string, Codec, number][] = [
    ["json", jsonCodec, 0x81],
    ["msgpack", msgpackCodec, 0x82],
  ];

  for (const [name, codec, opcode] of cases) {
    describe(`with the ${name} codec`, () => {
      it("frames the encoded packet with the right header at every length boundary", () => {
        for (const size of sizes) {
          for (const text of ["x".repeat(size), "é€😀".repeat(Math.ceil(size / 9))]) {
            const packet = eventOf(text);
            const frame = readFrame(packet.frame(codec));
            expect(frame.opcode).toBe(opcode);
            const decoded = codec.decode(codec.binary ? frame.payload : frame.payload.toString(), FROM_SERVER);
            expect(decoded).toEqual({ type: PacketType.EVENT, nsp: "/", data: ["e", text] });
          }
        }
      });

      it("gives the same bytes as payload and inside the frame, whichever is asked first", () => {
        for (const size of [10, 300, 70_000]) {
          const frameFirst = eventOf("ü".repeat(size));
          const frame = frameFirst.frame(codec);
          expect(frameFirst.frame(codec)).toBe(frame);
          expect(Buffer.compare(frameFirst.payload(codec), readFrame(frame).payload)).toBe(0);

          const payloadFirst = eventOf("ü".repeat(size));
          const payload = Buffer.from(payloadFirst.payload(codec));
          expect(Buffer.compare(readFrame(payloadFirst.frame(codec)).payload, payload)).toBe(0);
          expect(Buffer.compare(payload, readFrame(frame).payload)).toBe(0);
        }
      });
    });
  }
});
