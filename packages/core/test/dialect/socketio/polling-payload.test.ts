import { describe, expect, it } from "vitest";
import { CloseCode, ErrorCode } from "@roomcast/protocol";
import {
  decodePollingPayload,
  DEFAULT_POLLING_LIMITS,
  encodePollingPayload,
  EnginePacketType,
} from "../../../src/dialect/socketio/index.js";
import { expectProtocolError } from "./expect-protocol-error.js";

const { MESSAGE, PING } = EnginePacketType;

describe("Engine.IO v4 long-polling payloads", () => {
  describe("decodePollingPayload", () => {
    it("splits packets on the record separator (spec example)", () => {
      expect(decodePollingPayload("4hello\x1e2\x1e4world")).toEqual([
        { type: MESSAGE, data: "hello" },
        { type: PING },
        { type: MESSAGE, data: "world" },
      ]);
    });

    it("decodes a single packet", () => {
      expect(decodePollingPayload("4hello")).toEqual([{ type: MESSAGE, data: "hello" }]);
      expect(decodePollingPayload("3")).toEqual([{ type: EnginePacketType.PONG }]);
    });

    it("decodes b<base64> as a binary message (spec example)", () => {
      const packets = decodePollingPayload("4hello\x1ebAQIDBA==");
      expect(packets[0]).toEqual({ type: MESSAGE, data: "hello" });
      expect(packets[1].type).toBe(MESSAGE);
      expect(Buffer.isBuffer(packets[1].data)).toBe(true);
      expect([...(packets[1].data as Buffer)]).toEqual([1, 2, 3, 4]);
    });

    it("decodes an empty binary message", () => {
      expect(decodePollingPayload("b")).toEqual([{ type: MESSAGE, data: Buffer.alloc(0) }]);
    });

    it("decodes the Socket.IO sample session's batched events", () => {
      expect(decodePollingPayload('42["hello"]\x1e42["world"]')).toEqual([
        { type: MESSAGE, data: '2["hello"]' },
        { type: MESSAGE, data: '2["world"]' },
      ]);
    });

    it("rejects an empty body and empty packets", () => {
      for (const body of ["", "\x1e", "4a\x1e", "\x1e4a", "4a\x1e\x1e4b"]) {
        expectProtocolError(() => decodePollingPayload(body), ErrorCode.INVALID_PACKET, CloseCode.PROTOCOL_ERROR);
      }
    });

    it("rejects an unknown packet type", () => {
      for (const body of ["abc", "4a\x1e9", "4a\x1ex"]) {
        expectProtocolError(() => decodePollingPayload(body), ErrorCode.INVALID_PACKET, CloseCode.PROTOCOL_ERROR);
      }
    });

    it("rejects binary packets that are not padded standard base64", () => {
      for (const body of ["bAQIDBA", "bAQIDBA=", "b!!!!", "bAQ=D", "bAQIDBA===", "bAQ-_", "b====", "bAQID BA=="]) {
        expectProtocolError(() => decodePollingPayload(body), ErrorCode.INVALID_PAYLOAD, CloseCode.INVALID_PAYLOAD);
      }
    });

    it("accepts exactly maxPackets packets and rejects one more", () => {
      const limits = { maxPackets: 3 };
      expect(decodePollingPayload("2\x1e2\x1e2", limits)).toHaveLength(3);
      expectProtocolError(() => decodePollingPayload("2\x1e2\x1e2\x1e2", limits), ErrorCode.TOO_MANY_PACKETS, CloseCode.LIMIT_EXCEEDED);
    });

    it("applies the default limit", () => {
      const max = DEFAULT_POLLING_LIMITS.maxPackets;
      expect(decodePollingPayload(Array(max).fill("3").join("\x1e"))).toHaveLength(max);
      expectProtocolError(
        () => decodePollingPayload(Array(max + 1).fill("3").join("\x1e")),
        ErrorCode.TOO_MANY_PACKETS,
        CloseCode.LIMIT_EXCEEDED,
      );
    });

    it("stops at the limit even when the rest of the body is malformed", () => {
      expectProtocolError(
        () => decodePollingPayload("2\x1e2\x1e" + "\x1e".repeat(100_000), { maxPackets: 2 }),
        ErrorCode.TOO_MANY_PACKETS,
        CloseCode.LIMIT_EXCEEDED,
      );
    });
  });

  describe("encodePollingPayload", () => {
    it("joins text packets with the record separator (Engine.IO test suite)", () => {
      expect(encodePollingPayload(["4test1", "4test2", "4test3"])).toBe("4test1\x1e4test2\x1e4test3");
    });

    it("writes bytes as b<base64>", () => {
      expect(encodePollingPayload(["4hello", Buffer.from([1, 2, 3, 4])])).toBe("4hello\x1ebAQIDBA==");
      expect(encodePollingPayload([Uint8Array.from([1, 2, 3, 4]).subarray(1, 3)])).toBe("bAgM=");
    });

    it("writes a single packet without a separator, and nothing for no packets", () => {
      expect(encodePollingPayload(["2"])).toBe("2");
      expect(encodePollingPayload([])).toBe("");
    });

    it("is read back by decodePollingPayload", () => {
      const body = encodePollingPayload(["0{}", "2", '42["a"]', Buffer.from("bytes"), Buffer.alloc(0), "6"]);
      expect(decodePollingPayload(body)).toEqual([
        { type: EnginePacketType.OPEN, data: "{}" },
        { type: PING },
        { type: MESSAGE, data: '2["a"]' },
        { type: MESSAGE, data: Buffer.from("bytes") },
        { type: MESSAGE, data: Buffer.alloc(0) },
        { type: EnginePacketType.NOOP },
      ]);
    });
  });
});
