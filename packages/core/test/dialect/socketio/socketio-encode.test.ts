import { describe, expect, it } from "vitest";
import { type Packet, PacketType } from "@roomcast/protocol";
import { encodeSocketIoPacket } from "../../../src/dialect/socketio/index.js";

const PLACEHOLDER_0 = '{"_placeholder":true,"num":0}';
const PLACEHOLDER_1 = '{"_placeholder":true,"num":1}';

function text(packet: Packet): string {
  const encoded = encodeSocketIoPacket(packet);
  expect(encoded.attachments).toEqual([]);
  return encoded.text;
}

describe("encodeSocketIoPacket (Socket.IO v5, server to client)", () => {
  describe("CONNECTED", () => {
    const info = { sid: "wZX3oN0bSVIhsaknAAAI", pingInterval: 25000, pingTimeout: 20000 };

    it("is a CONNECT with the sid, the main namespace left out", () => {
      expect(text({ type: PacketType.CONNECTED, nsp: "/", info })).toBe('0{"sid":"wZX3oN0bSVIhsaknAAAI"}');
    });

    it("names a custom namespace before a comma (spec example)", () => {
      const packet: Packet = { type: PacketType.CONNECTED, nsp: "/admin", info: { ...info, sid: "oSO0OpakMV_3jnilAAAA" } };
      expect(text(packet)).toBe('0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}');
    });

    it("adds the recovery session id only when there is one", () => {
      expect(text({ type: PacketType.CONNECTED, nsp: "/", info: { ...info, pid: "p1", recovered: true, missed: 2 } })).toBe(
        '0{"sid":"wZX3oN0bSVIhsaknAAAI","pid":"p1"}',
      );
      expect(text({ type: PacketType.CONNECTED, nsp: "/", info: { ...info, position: "3:4", extra: 1 } })).toBe(
        '0{"sid":"wZX3oN0bSVIhsaknAAAI"}',
      );
    });
  });

  describe("CONNECT_ERROR", () => {
    it("carries the message (spec example)", () => {
      expect(text({ type: PacketType.CONNECT_ERROR, nsp: "/", message: "Not authorized" })).toBe('4{"message":"Not authorized"}');
    });

    it("names a custom namespace (Socket.IO test suite)", () => {
      expect(text({ type: PacketType.CONNECT_ERROR, nsp: "/random", message: "Invalid namespace" })).toBe(
        '4/random,{"message":"Invalid namespace"}',
      );
    });

    it("carries data when there is some", () => {
      const packet: Packet = { type: PacketType.CONNECT_ERROR, nsp: "/", message: "no", data: { code: "ERR_TOO_MANY_NAMESPACES" } };
      expect(text(packet)).toBe('4{"message":"no","data":{"code":"ERR_TOO_MANY_NAMESPACES"}}');
    });

    it("refuses an unknown namespace in Socket.IO's exact form, without roomcast's code", () => {
      const packet: Packet = { type: PacketType.CONNECT_ERROR, nsp: "/random", message: "Invalid namespace", data: { code: "ERR_UNKNOWN_NAMESPACE" } };
      expect(text(packet)).toBe('4/random,{"message":"Invalid namespace"}');
    });
  });

  describe("DISCONNECT", () => {
    it("is a bare 1 on the main namespace and names any other (spec examples)", () => {
      expect(text({ type: PacketType.DISCONNECT, nsp: "/" })).toBe("1");
      expect(text({ type: PacketType.DISCONNECT, nsp: "/admin" })).toBe("1/admin,");
    });
  });

  describe("EVENT", () => {
    it("is a JSON array after the type (spec examples)", () => {
      expect(text({ type: PacketType.EVENT, nsp: "/", data: ["foo"] })).toBe('2["foo"]');
      expect(text({ type: PacketType.EVENT, nsp: "/admin", data: ["bar"] })).toBe('2/admin,["bar"]');
      expect(text({ type: PacketType.EVENT, nsp: "/", data: ["hey", "Jude"] })).toBe('2["hey","Jude"]');
    });

    it("puts the ack id before the array (spec examples)", () => {
      expect(text({ type: PacketType.EVENT, nsp: "/", data: ["foo"], id: 12 })).toBe('212["foo"]');
      expect(text({ type: PacketType.EVENT, nsp: "/admin", data: ["foo"], id: 13 })).toBe('2/admin,13["foo"]');
      expect(text({ type: PacketType.EVENT, nsp: "/", data: ["x"], id: 0 })).toBe('20["x"]');
    });

    it("serializes like JSON.stringify (Date via toJSON, undefined as null)", () => {
      const date = new Date(0);
      expect(text({ type: PacketType.EVENT, nsp: "/", data: ["t", date, undefined, { a: undefined, b: 1 }] })).toBe(
        '2["t","1970-01-01T00:00:00.000Z",null,{"b":1}]',
      );
    });

    it("becomes BINARY_EVENT with placeholders and attachments (spec example)", () => {
      const bytes = Buffer.from([1, 2, 3, 4]);
      const encoded = encodeSocketIoPacket({ type: PacketType.EVENT, nsp: "/", data: ["baz", bytes] });
      expect(encoded.text).toBe(`51-["baz",${PLACEHOLDER_0}]`);
      expect(encoded.attachments).toEqual([bytes]);
    });

    it("numbers several attachments in order (spec example)", () => {
      const encoded = encodeSocketIoPacket({
        type: PacketType.EVENT,
        nsp: "/admin",
        data: ["baz", Buffer.from([1, 2]), Buffer.from([3, 4])],
      });
      expect(encoded.text).toBe(`52-/admin,["baz",${PLACEHOLDER_0},${PLACEHOLDER_1}]`);
      expect(encoded.attachments.map((b) => [...b])).toEqual([[1, 2], [3, 4]]);
    });

    it("writes the ack id after the namespace in a binary event", () => {
      const encoded = encodeSocketIoPacket({ type: PacketType.EVENT, nsp: "/admin", id: 7, data: ["up", Buffer.from([1])] });
      expect(encoded.text).toBe(`51-/admin,7["up",${PLACEHOLDER_0}]`);
    });

    it("finds binary values of every kind, nested in arrays and objects", () => {
      const arrayBuffer = Uint8Array.from([1, 2]).buffer;
      const view = new DataView(Uint8Array.from([9, 8, 7]).buffer, 1, 2);
      const floats = Float32Array.from([1.5]);
      const encoded = encodeSocketIoPacket({
        type: PacketType.EVENT,
        nsp: "/",
        data: ["file", { meta: { raw: arrayBuffer }, parts: [view, [floats]] }, new Uint8Array([5])],
      });
      expect(encoded.text).toBe(
        `54-["file",{"meta":{"raw":${PLACEHOLDER_0}},"parts":[${PLACEHOLDER_1},[{"_placeholder":true,"num":2}]]},{"_placeholder":true,"num":3}]`,
      );
      expect(encoded.attachments.every((b) => Buffer.isBuffer(b))).toBe(true);
      expect(encoded.attachments.map((b) => [...b])).toEqual([[1, 2], [8, 7], [...new Uint8Array(floats.buffer)], [5]]);
    });

    it("shares memory with the application's bytes instead of copying them", () => {
      const bytes = new Uint8Array([1, 2, 3]);
      const [attachment] = encodeSocketIoPacket({ type: PacketType.EVENT, nsp: "/", data: ["x", bytes] }).attachments;
      bytes[0] = 42;
      expect(attachment[0]).toBe(42);
    });

    it("leaves the packet untouched, so other dialects can still encode it", () => {
      const bytes = Buffer.from([1]);
      const data = ["x", { bytes }, [bytes]];
      encodeSocketIoPacket({ type: PacketType.EVENT, nsp: "/", data });
      expect(data).toEqual(["x", { bytes }, [bytes]]);
      expect((data[1] as { bytes: Buffer }).bytes).toBe(bytes);
    });

    it("keeps a __proto__ key as a key in a binary event", () => {
      const payload = JSON.parse('{"__proto__":{"a":1}}') as Record<string, unknown>;
      payload.bytes = Buffer.from([1]);
      const encoded = encodeSocketIoPacket({ type: PacketType.EVENT, nsp: "/", data: ["x", payload] });
      expect(encoded.text).toBe(`51-["x",{"__proto__":{"a":1},"bytes":${PLACEHOLDER_0}}]`);
    });

    it("is deterministic, so one encoding serves every recipient", () => {
      const packet: Packet = { type: PacketType.EVENT, nsp: "/", data: ["x", Buffer.from([1]), { a: [1, 2] }] };
      expect(encodeSocketIoPacket(packet)).toEqual(encodeSocketIoPacket(packet));
    });
  });

  describe("ACK", () => {
    it("carries the id and the reply array (spec examples)", () => {
      expect(text({ type: PacketType.ACK, nsp: "/admin", id: 13, data: ["bar"] })).toBe('3/admin,13["bar"]');
      expect(text({ type: PacketType.ACK, nsp: "/", id: 12, data: [] })).toBe("312[]");
      expect(text({ type: PacketType.ACK, nsp: "/", id: 456, data: [1, "2", { 3: [false] }] })).toBe('3456[1,"2",{"3":[false]}]');
    });

    it("becomes BINARY_ACK when the reply holds bytes (spec examples)", () => {
      const encoded = encodeSocketIoPacket({ type: PacketType.ACK, nsp: "/", id: 15, data: ["bar", Buffer.from([1, 2, 3, 4])] });
      expect(encoded.text).toBe(`61-15["bar",${PLACEHOLDER_0}]`);
      expect([...encoded.attachments[0]]).toEqual([1, 2, 3, 4]);
      const sample = encodeSocketIoPacket({ type: PacketType.ACK, nsp: "/admin", id: 1, data: [Buffer.from([0])] });
      expect(sample.text).toBe(`61-/admin,1[${PLACEHOLDER_0}]`);
    });
  });

  describe("EVENT_AT", () => {
    it("is an EVENT with the position as its last argument, where Socket.IO clients read their offset", () => {
      expect(text({ type: PacketType.EVENT_AT, nsp: "/", data: ["chat", "hi"], position: "7:42" })).toBe('2["chat","hi","7:42"]');
      expect(text({ type: PacketType.EVENT_AT, nsp: "/room", data: ["ping"], position: "1:0" })).toBe('2/room,["ping","1:0"]');
    });

    it("escapes the position as a JSON string", () => {
      expect(text({ type: PacketType.EVENT_AT, nsp: "/", data: ["e"], position: 'a"b' })).toBe('2["e","a\\"b"]');
    });

    it("appends the position after the placeholders of a binary event", () => {
      const encoded = encodeSocketIoPacket({ type: PacketType.EVENT_AT, nsp: "/", data: ["file", Buffer.from([1])], position: "1:2" });
      expect(encoded.text).toBe(`51-["file",${PLACEHOLDER_0},"1:2"]`);
    });

    it("handles an empty argument list", () => {
      expect(text({ type: PacketType.EVENT_AT, nsp: "/", data: [], position: "1:2" })).toBe('2["1:2"]');
    });
  });

  describe("CONNECT (the client's side)", () => {
    it("writes the namespace and the auth object as socket.io-client does", () => {
      expect(text({ type: PacketType.CONNECT, nsp: "/" })).toBe("0");
      expect(text({ type: PacketType.CONNECT, nsp: "/admin" })).toBe("0/admin,");
      expect(text({ type: PacketType.CONNECT, nsp: "/admin", auth: { token: "123" } })).toBe('0/admin,{"token":"123"}');
    });

    it("merges a resume request into the payload as pid and offset", () => {
      expect(text({ type: PacketType.CONNECT, nsp: "/", auth: { token: "t" }, resume: { pid: "p", position: "1:2" } })).toBe(
        '0{"token":"t","pid":"p","offset":"1:2"}',
      );
      expect(text({ type: PacketType.CONNECT, nsp: "/", resume: { pid: "p", position: "1:2" } })).toBe('0{"pid":"p","offset":"1:2"}');
    });
  });

  describe("HEARTBEAT", () => {
    it("has no Socket.IO form: the engine's ping carries liveness", () => {
      expect(() => encodeSocketIoPacket({ type: PacketType.HEARTBEAT })).toThrow(TypeError);
    });
  });
});
