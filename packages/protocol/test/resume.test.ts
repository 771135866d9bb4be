import { describe, expect, it } from "vitest";
import { FROM_CLIENT, jsonCodec, MAX_RESUME_FIELD_LENGTH, type Packet, PacketType, ProtocolError, toWire } from "@roomcast/protocol";
import { msgpackCodec } from "@roomcast/protocol/msgpack";

describe("CONNECT with a resume request", () => {
  for (const codec of [jsonCodec, msgpackCodec]) {
    describe(codec.name, () => {
      it("round-trips resume with and without auth", () => {
        const packets: Packet[] = [
          { type: PacketType.CONNECT, nsp: "/", resume: { pid: "p1", position: "e:3" } },
          { type: PacketType.CONNECT, nsp: "/chat", auth: { token: "t", pid: "mine" }, resume: { pid: "p1", position: "e:1700000000000-0" } },
        ];
        for (const packet of packets) expect(codec.decode(codec.encode(packet), FROM_CLIENT)).toEqual(packet);
      });

      it("keeps auth keys named pid or position in auth", () => {
        const packet: Packet = { type: PacketType.CONNECT, nsp: "/", auth: { pid: "x", position: "y" } };
        expect(codec.decode(codec.encode(packet), FROM_CLIENT)).toEqual(packet);
      });
    });
  }

  it("puts resume in its own element, after auth (null when absent)", () => {
    expect(toWire({ type: PacketType.CONNECT, nsp: "/", resume: { pid: "a", position: "e:1" } })).toEqual([0, "/", null, { pid: "a", position: "e:1" }]);
  });

  it("accepts an empty auth object next to resume", () => {
    const decoded = jsonCodec.decode('[0,"/",{},{"pid":"a","position":"e:1"}]', FROM_CLIENT);
    expect(decoded).toEqual({ type: PacketType.CONNECT, nsp: "/", auth: {}, resume: { pid: "a", position: "e:1" } });
  });

  const long = "x".repeat(MAX_RESUME_FIELD_LENGTH + 1);
  const bad = [
    '[0,"/",null,"p"]',
    '[0,"/",null,{"pid":"a"}]',
    '[0,"/",null,{"pid":1,"position":"e:1"}]',
    `[0,"/",null,{"pid":"${long}","position":"e:1"}]`,
    `[0,"/",null,{"pid":"a","position":"${long}"}]`,
    '[0,"/",null,{"pid":"a","position":"e:1"},5]',
  ];
  for (const frame of bad) {
    it(`rejects ${frame.length > 60 ? `${frame.slice(0, 60)}…` : frame}`, () => {
      expect(() => jsonCodec.decode(frame, FROM_CLIENT)).toThrow(ProtocolError);
    });
  }
});
