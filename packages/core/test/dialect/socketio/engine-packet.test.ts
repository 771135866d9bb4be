import { describe, expect, it } from "vitest";
import { CloseCode, ErrorCode } from "@roomcast/protocol";
import { decodeEnginePacket, encodeEnginePacket, EnginePacketType } from "../../../src/dialect/socketio/index.js";
import { expectProtocolError } from "./expect-protocol-error.js";

describe("Engine.IO v4 packets", () => {
  describe("decodeEnginePacket", () => {
    it("reads every type digit of a text frame", () => {
      expect(decodeEnginePacket('0{"sid":"a"}', false)).toEqual({ type: EnginePacketType.OPEN, data: '{"sid":"a"}' });
      expect(decodeEnginePacket("1", false)).toEqual({ type: EnginePacketType.CLOSE });
      expect(decodeEnginePacket("2", false)).toEqual({ type: EnginePacketType.PING });
      expect(decodeEnginePacket("3", false)).toEqual({ type: EnginePacketType.PONG });
      expect(decodeEnginePacket("4hello", false)).toEqual({ type: EnginePacketType.MESSAGE, data: "hello" });
      expect(decodeEnginePacket("5", false)).toEqual({ type: EnginePacketType.UPGRADE });
      expect(decodeEnginePacket("6", false)).toEqual({ type: EnginePacketType.NOOP });
    });

    it("keeps the data of an upgrade probe", () => {
      expect(decodeEnginePacket("2probe", false)).toEqual({ type: EnginePacketType.PING, data: "probe" });
      expect(decodeEnginePacket("3probe", false)).toEqual({ type: EnginePacketType.PONG, data: "probe" });
    });

    it("gives a message without text an empty string, so a message always has data", () => {
      expect(decodeEnginePacket("4", false)).toEqual({ type: EnginePacketType.MESSAGE, data: "" });
    });

    it("reads a text frame delivered as bytes as UTF-8", () => {
      expect(decodeEnginePacket(Buffer.from('42["é€"]'), false)).toEqual({ type: EnginePacketType.MESSAGE, data: '2["é€"]' });
      expect(decodeEnginePacket(new TextEncoder().encode("2probe"), false)).toEqual({ type: EnginePacketType.PING, data: "probe" });
    });

    it("turns a binary frame into a binary message with the same bytes", () => {
      const packet = decodeEnginePacket(Uint8Array.from([1, 2, 3, 4]), true);
      expect(packet.type).toBe(EnginePacketType.MESSAGE);
      expect(Buffer.isBuffer(packet.data)).toBe(true);
      expect([...(packet.data as Buffer)]).toEqual([1, 2, 3, 4]);
    });

    it("does not copy a Buffer it is given", () => {
      const bytes = Buffer.from([9, 8]);
      expect(decodeEnginePacket(bytes, true).data).toBe(bytes);
    });

    it("accepts an empty binary frame: an empty attachment is valid", () => {
      expect(decodeEnginePacket(Buffer.alloc(0), true)).toEqual({ type: EnginePacketType.MESSAGE, data: Buffer.alloc(0) });
    });

    it("rejects an empty text frame", () => {
      expectProtocolError(() => decodeEnginePacket("", false), ErrorCode.INVALID_PACKET, CloseCode.PROTOCOL_ERROR);
      expectProtocolError(() => decodeEnginePacket(Buffer.alloc(0), false), ErrorCode.INVALID_PACKET, CloseCode.PROTOCOL_ERROR);
    });

    it("rejects an unknown type", () => {
      // "abc" is the Engine.IO test suite's "invalid packet format"
      for (const text of ["abc", "7", "9", "-1", " 4", "/4"]) {
        expectProtocolError(() => decodeEnginePacket(text, false), ErrorCode.INVALID_PACKET, CloseCode.PROTOCOL_ERROR);
      }
    });
  });

  describe("encodeEnginePacket", () => {
    it("writes the type digit followed by the data", () => {
      expect(encodeEnginePacket(EnginePacketType.PING)).toBe("2");
      expect(encodeEnginePacket(EnginePacketType.PONG, "probe")).toBe("3probe");
      expect(encodeEnginePacket(EnginePacketType.NOOP)).toBe("6");
      expect(encodeEnginePacket(EnginePacketType.MESSAGE, '2["foo"]')).toBe('42["foo"]');
      expect(encodeEnginePacket(EnginePacketType.OPEN, '{"sid":"x"}')).toBe('0{"sid":"x"}');
    });

    it("is read back by decodeEnginePacket", () => {
      for (const type of Object.values(EnginePacketType)) {
        expect(decodeEnginePacket(encodeEnginePacket(type, "x"), false)).toEqual({ type, data: "x" });
      }
    });
  });
});
