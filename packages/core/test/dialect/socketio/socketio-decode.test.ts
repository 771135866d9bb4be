import { describe, expect, it } from "vitest";
import { CloseCode, DEFAULT_DECODE_LIMITS, ErrorCode, MAX_ACK_ID, MAX_RESUME_FIELD_LENGTH, PacketType } from "@roomcast/protocol";
import { DEFAULT_MAX_ATTACHMENTS, SocketIoDecoder } from "../../../src/dialect/socketio/index.js";
import { expectProtocolError } from "./expect-protocol-error.js";

const P0 = '{"_placeholder":true,"num":0}';
const P1 = '{"_placeholder":true,"num":1}';

function decode(text: string) {
  return new SocketIoDecoder().add(text);
}

function expectInvalid(text: string, decoder = new SocketIoDecoder()): void {
  expectProtocolError(() => decoder.add(text), ErrorCode.INVALID_PACKET, CloseCode.PROTOCOL_ERROR);
}

/** `depth` nested arrays around 0: nest(0) is 0, nest(2) is [[0]]. */
function nest(depth: number): string {
  return "[".repeat(depth) + "0" + "]".repeat(depth);
}

describe("SocketIoDecoder (Socket.IO v5, client to server)", () => {
  describe("CONNECT", () => {
    it("joins the main namespace (Socket.IO test suite)", () => {
      expect(decode("0")).toEqual({ type: PacketType.CONNECT, nsp: "/" });
    });

    it("carries the payload as auth", () => {
      expect(decode('0{"token":"123"}')).toEqual({ type: PacketType.CONNECT, nsp: "/", auth: { token: "123" } });
    });

    it("joins a custom namespace, with or without the trailing comma", () => {
      expect(decode("0/custom,")).toEqual({ type: PacketType.CONNECT, nsp: "/custom" });
      expect(decode("0/random")).toEqual({ type: PacketType.CONNECT, nsp: "/random" });
      expect(decode('0/custom,{"token":"abc"}')).toEqual({ type: PacketType.CONNECT, nsp: "/custom", auth: { token: "abc" } });
    });

    it("turns string pid and offset into a resume request and keeps the rest as auth", () => {
      expect(decode('0{"token":"t","pid":"p1","offset":"4:2"}')).toEqual({
        type: PacketType.CONNECT,
        nsp: "/",
        auth: { token: "t" },
        resume: { pid: "p1", position: "4:2" },
      });
    });

    it("leaves auth out when pid and offset were all there was", () => {
      expect(decode('0/chat,{"pid":"p1","offset":"4:2"}')).toEqual({
        type: PacketType.CONNECT,
        nsp: "/chat",
        resume: { pid: "p1", position: "4:2" },
      });
    });

    it("leaves pid in auth when there is no string offset to resume from", () => {
      expect(decode('0{"pid":"p1"}')).toEqual({ type: PacketType.CONNECT, nsp: "/", auth: { pid: "p1" } });
      expect(decode('0{"pid":"p1","offset":3}')).toEqual({ type: PacketType.CONNECT, nsp: "/", auth: { pid: "p1", offset: 3 } });
    });

    it("rejects an over-long pid or offset, as the native dialect does", () => {
      const long = "x".repeat(MAX_RESUME_FIELD_LENGTH + 1);
      expectInvalid(`0{"pid":"${long}","offset":"1:1"}`);
      expectInvalid(`0{"pid":"p","offset":"${long}"}`);
    });

    it("rejects a payload that is not an object as an invalid handshake", () => {
      for (const text of ['0"abc"', "0[1]", "0null", "0true", '0/a,"x"', "0[]"]) expectInvalid(text);
    });

    it("rejects an ack id", () => {
      expectInvalid("012");
      expectInvalid("0/admin,5{}");
    });
  });

  describe("DISCONNECT", () => {
    it("leaves the main or a custom namespace (Socket.IO test suite)", () => {
      expect(decode("1")).toEqual({ type: PacketType.DISCONNECT, nsp: "/" });
      expect(decode("1/custom")).toEqual({ type: PacketType.DISCONNECT, nsp: "/custom" });
      expect(decode("1/custom,")).toEqual({ type: PacketType.DISCONNECT, nsp: "/custom" });
    });

    it("rejects a payload or an ack id", () => {
      for (const text of ["1{}", '1["x"]', "15", "1/a,1"]) expectInvalid(text);
    });
  });

  describe("EVENT", () => {
    it("decodes name and arguments (Socket.IO test suite)", () => {
      expect(decode('2["message",1,"2",{"3":[true]}]')).toEqual({
        type: PacketType.EVENT,
        nsp: "/",
        data: ["message", 1, "2", { 3: [true] }],
      });
      expect(decode('2/admin,["bar"]')).toEqual({ type: PacketType.EVENT, nsp: "/admin", data: ["bar"] });
    });

    it("reads the ack id (Socket.IO test suite)", () => {
      expect(decode('2456["message-with-ack",1,"2",{"3":[false]}]')).toEqual({
        type: PacketType.EVENT,
        nsp: "/",
        data: ["message-with-ack", 1, "2", { 3: [false] }],
        id: 456,
      });
      expect(decode('2/admin,1["tellme"]')).toEqual({ type: PacketType.EVENT, nsp: "/admin", data: ["tellme"], id: 1 });
    });

    it("accepts ack ids up to MAX_ACK_ID and no further", () => {
      expect(decode(`2${MAX_ACK_ID}["a"]`)).toMatchObject({ id: MAX_ACK_ID });
      expectInvalid(`2${MAX_ACK_ID + 1}["a"]`);
      expectInvalid(`2${"1".repeat(11)}["a"]`);
      expectInvalid(`2${"0".repeat(100_000)}1["a"]`);
    });

    it("leaves placeholder-shaped objects alone in a plain EVENT", () => {
      expect(decode(`2["x",${P0}]`)).toEqual({ type: PacketType.EVENT, nsp: "/", data: ["x", { _placeholder: true, num: 0 }] });
    });

    it("rejects a payload that is not a non-empty array starting with a string", () => {
      // "{}" is the Socket.IO test suite's invalid payload format
      for (const text of ["2{}", "2", "2[]", "2[1]", "2[null]", '2"x"', "2/a,", "27"]) {
        expectInvalid(text);
      }
    });
  });

  describe("ACK", () => {
    it("decodes id and reply (spec examples)", () => {
      expect(decode('3/admin,13["bar"]')).toEqual({ type: PacketType.ACK, nsp: "/admin", id: 13, data: ["bar"] });
      expect(decode("312[]")).toEqual({ type: PacketType.ACK, nsp: "/", id: 12, data: [] });
      expect(decode("30[null,1]")).toEqual({ type: PacketType.ACK, nsp: "/", id: 0, data: [null, 1] });
    });

    it("rejects an ACK without id or array", () => {
      for (const text of ['3["bar"]', "3/admin,[]", "312{}", "312", '312"x"']) expectInvalid(text);
    });
  });

  describe("binary packets", () => {
    it("waits for the attachments, then puts them where the placeholders are (Socket.IO test suite)", () => {
      const decoder = new SocketIoDecoder();
      expect(decoder.add(`52-["message",${P0},${P1}]`)).toBeUndefined();
      expect(decoder.awaitedAttachments).toBe(2);
      expect(decoder.add(Uint8Array.from([1, 2, 3]))).toBeUndefined();
      expect(decoder.awaitedAttachments).toBe(1);
      const packet = decoder.add(Uint8Array.from([4, 5, 6]));
      expect(decoder.awaitedAttachments).toBe(0);
      expect(packet).toEqual({ type: PacketType.EVENT, nsp: "/", data: ["message", Buffer.from([1, 2, 3]), Buffer.from([4, 5, 6])] });
      const [, first] = (packet as { data: unknown[] }).data;
      expect(Buffer.isBuffer(first)).toBe(true);
    });

    it("reads namespace and ack id after the attachment count (Socket.IO test suite)", () => {
      const decoder = new SocketIoDecoder();
      decoder.add(`52-/admin,789["message-with-ack",${P0},${P1}]`);
      decoder.add(Buffer.from([1]));
      expect(decoder.add(Buffer.from([2]))).toEqual({
        type: PacketType.EVENT,
        nsp: "/admin",
        id: 789,
        data: ["message-with-ack", Buffer.from([1]), Buffer.from([2])],
      });
    });

    it("decodes a BINARY_ACK (spec example)", () => {
      const decoder = new SocketIoDecoder();
      decoder.add(`61-15["bar",${P0}]`);
      expect(decoder.add(Buffer.from([1, 2, 3, 4]))).toEqual({ type: PacketType.ACK, nsp: "/", id: 15, data: ["bar", Buffer.from([1, 2, 3, 4])] });
    });

    it("finds placeholders nested in objects and arrays, and reuses an attachment named twice", () => {
      const decoder = new SocketIoDecoder();
      decoder.add(`52-["f",{"a":{"b":[${P1}]},"c":${P0}},[${P0}]]`);
      decoder.add(Buffer.from("zero"));
      const packet = decoder.add(Buffer.from("one")) as { data: unknown[] };
      expect(packet.data).toEqual(["f", { a: { b: [Buffer.from("one")] }, c: Buffer.from("zero") }, [Buffer.from("zero")]]);
    });

    it("keeps a __proto__ key as a key when restoring under it", () => {
      const decoder = new SocketIoDecoder();
      decoder.add(`51-["x",{"__proto__":${P0}}]`);
      const packet = decoder.add(Buffer.from([7])) as { data: [string, Record<string, unknown>] };
      const holder = packet.data[1];
      expect(Object.getPrototypeOf(holder)).toBe(Object.prototype);
      expect(Object.getOwnPropertyDescriptor(holder, "__proto__")?.value).toEqual(Buffer.from([7]));
    });

    it("accepts an empty attachment", () => {
      const decoder = new SocketIoDecoder();
      decoder.add(`51-["x",${P0}]`);
      expect(decoder.add(new Uint8Array(0))).toEqual({ type: PacketType.EVENT, nsp: "/", data: ["x", Buffer.alloc(0)] });
    });

    it("completes a packet announcing no attachments at once", () => {
      expect(decode('50-["x",1]')).toEqual({ type: PacketType.EVENT, nsp: "/", data: ["x", 1] });
    });

    it("rejects a malformed attachment count", () => {
      for (const text of ['5["x"]', '5-["x"]', '51["x"]', '5x-["x"]', `5${"0".repeat(11)}1-["x"]`, '6/a,1-1["x"]']) expectInvalid(text);
    });

    it(`accepts up to ${DEFAULT_MAX_ATTACHMENTS} attachments and rejects more`, () => {
      expect(new SocketIoDecoder().add(`5${DEFAULT_MAX_ATTACHMENTS}-["x"]`)).toBeUndefined();
      expectProtocolError(
        () => decode(`5${DEFAULT_MAX_ATTACHMENTS + 1}-["x"]`),
        ErrorCode.TOO_MANY_ATTACHMENTS,
        CloseCode.LIMIT_EXCEEDED,
      );
      expectProtocolError(() => decode('69999999999-1["x"]'), ErrorCode.TOO_MANY_ATTACHMENTS, CloseCode.LIMIT_EXCEEDED);
    });

    it("takes its attachment limit from the options", () => {
      const decoder = new SocketIoDecoder({ maxAttachments: 1 });
      expectProtocolError(() => decoder.add('52-["x"]'), ErrorCode.TOO_MANY_ATTACHMENTS, CloseCode.LIMIT_EXCEEDED);
      expect(decoder.add('51-["x"]')).toBeUndefined();
    });

    it("rejects placeholders that point at no attachment", () => {
      const bad = ['{"_placeholder":true,"num":1}', '{"_placeholder":true,"num":-1}', '{"_placeholder":true,"num":0.5}', '{"_placeholder":true,"num":"0"}', '{"_placeholder":true}'];
      for (const placeholder of bad) {
        const decoder = new SocketIoDecoder();
        decoder.add(`51-["x",${placeholder}]`);
        expectProtocolError(() => decoder.add(Buffer.from([1])), ErrorCode.INVALID_PACKET, CloseCode.PROTOCOL_ERROR);
        expect(decoder.awaitedAttachments).toBe(0);
      }
      expectInvalid(`50-["x",${P0}]`);
    });

    it("rejects a binary message when no attachment is awaited", () => {
      const decoder = new SocketIoDecoder();
      expectProtocolError(() => decoder.add(Buffer.from([1])), ErrorCode.INVALID_PACKET, CloseCode.PROTOCOL_ERROR);
      expect(decoder.add('2["x"]')).toEqual({ type: PacketType.EVENT, nsp: "/", data: ["x"] });
      expectProtocolError(() => decoder.add(Buffer.from([1])), ErrorCode.INVALID_PACKET, CloseCode.PROTOCOL_ERROR);
    });

    it("rejects a text message while attachments are awaited, and drops the partial packet", () => {
      const decoder = new SocketIoDecoder();
      decoder.add(`52-["x",${P0},${P1}]`);
      decoder.add(Buffer.from([1]));
      expectInvalid('2["y"]', decoder);
      expect(decoder.awaitedAttachments).toBe(0);
      expectProtocolError(() => decoder.add(Buffer.from([2])), ErrorCode.INVALID_PACKET, CloseCode.PROTOCOL_ERROR);
    });

    it("forgets a partial packet on reset", () => {
      const decoder = new SocketIoDecoder();
      decoder.add(`51-["x",${P0}]`);
      decoder.reset();
      expect(decoder.awaitedAttachments).toBe(0);
      expect(decoder.add('2["y"]')).toEqual({ type: PacketType.EVENT, nsp: "/", data: ["y"] });
    });

    it("validates the text before waiting for attachments", () => {
      const decoder = new SocketIoDecoder();
      expectInvalid('51-{"x":1}', decoder);
      expectInvalid("51-[1]", decoder);
      expect(decoder.awaitedAttachments).toBe(0);
    });
  });

  describe("malformed text", () => {
    it("rejects empty text and unknown types", () => {
      // "abc" is the Socket.IO test suite's unknown packet type ("4abc" in an Engine.IO message)
      for (const text of ["", "abc", "7", "9[]", "-1", " 2[\"x\"]", "/"]) expectInvalid(text);
    });

    it("rejects CONNECT_ERROR, which only servers send", () => {
      expectInvalid('4{"message":"x"}');
      expectInvalid("4");
    });

    it("rejects a payload that is not JSON", () => {
      // "abc…" is the Socket.IO test suite's invalid ack id: not digits, so the payload starts there
      for (const text of ['2["a"', "2[1,]", "0{token}", "3/a,1[undefined]", '2["x"]garbage', '2abc["message-with-ack",1]']) {
        expectProtocolError(() => decode(text), ErrorCode.INVALID_PAYLOAD, CloseCode.INVALID_PAYLOAD);
      }
    });

    it("applies the native dialect's namespace length limit", () => {
      const max = DEFAULT_DECODE_LIMITS.maxNamespaceLength;
      const nsp = "/" + "n".repeat(max - 1);
      expect(decode(`2${nsp},["a"]`)).toEqual({ type: PacketType.EVENT, nsp, data: ["a"] });
      expectInvalid(`2${nsp}n,["a"]`);
      expectInvalid("0/" + "n".repeat(1_000_000));
      expectInvalid("0/ab,", new SocketIoDecoder({ limits: { ...DEFAULT_DECODE_LIMITS, maxNamespaceLength: 2 } }));
    });
  });

  describe("nesting depth", () => {
    const limits = { ...DEFAULT_DECODE_LIMITS, maxDepth: 2 };

    it("accepts arguments nested as deep as the native dialect allows, and no deeper", () => {
      expect(new SocketIoDecoder({ limits }).add(`2["a",${nest(2)}]`)).toEqual({ type: PacketType.EVENT, nsp: "/", data: ["a", [[0]]] });
      expectInvalid(`2["a",${nest(3)}]`, new SocketIoDecoder({ limits }));
      expectInvalid(`31[${nest(3)}]`, new SocketIoDecoder({ limits }));
      expectInvalid(`0{"a":{"b":{"c":1}}}`, new SocketIoDecoder({ limits }));
    });

    it("applies DEFAULT_DECODE_LIMITS by default", () => {
      const max = DEFAULT_DECODE_LIMITS.maxDepth;
      expect(decode(`2["a",${nest(max)}]`)).toBeDefined();
      expectInvalid(`2["a",${nest(max + 1)}]`);
    });

    it("rejects a 100,000-deep payload without overflowing the stack", () => {
      const deep = nest(100_000);
      expectInvalid(`2["a",${deep}]`);
      expectInvalid(`21[${deep}]`);
      expectInvalid(`31[${deep}]`);
      expectInvalid(`0{"a":${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}}`);
      expectInvalid(`51-["a",${"[".repeat(100_000)}${P0}${"]".repeat(100_000)}]`);
    });
  });
});
