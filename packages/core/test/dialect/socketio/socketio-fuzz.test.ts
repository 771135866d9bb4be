import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_ACK_ID, MAX_RESUME_FIELD_LENGTH, type Packet, PacketType } from "@roomcast/protocol";
import {
  decodeEnginePacket,
  decodePollingPayload,
  encodePollingPayload,
  encodeSocketIoPacket,
  EnginePacketType,
  SocketIoDecoder,
} from "../../../src/dialect/socketio/index.js";
import { onlyProtocolErrors } from "./expect-protocol-error.js";

const RUNS = { numRuns: 1000 };

/* ---- arbitrary input, as a hostile peer would send it ---- */

const anyText = fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.json());
const anyMessage = fc.oneof(anyText, fc.uint8Array({ maxLength: 32 }));

/** Mostly `likely`, sometimes `rarely`: keeps most generated text close enough to valid to go deep. */
function mostly<T>(likely: fc.Arbitrary<T>, rarely: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof({ weight: 4, arbitrary: likely }, { weight: 1, arbitrary: rarely });
}

const placeholder = fc.record({
  _placeholder: fc.constant(true),
  num: mostly(fc.integer({ min: 0, max: 3 }), fc.oneof(fc.integer({ min: -2, max: 12 }), fc.double(), fc.string())),
});
const payloadItem = fc.oneof(fc.string(), fc.jsonValue({ maxDepth: 3 }), placeholder, fc.array(placeholder, { maxLength: 2 }));

/** Text shaped like a Socket.IO packet, so the fuzzer gets past the first character. */
const packetLikeText = fc
  .tuple(
    mostly(fc.constantFrom("0", "1", "2", "3", "5", "6"), fc.constantFrom("4", "7", "a", "")),
    mostly(
      fc.nat({ max: 3 }).map((n) => `${n}-`),
      fc.oneof(fc.constant(""), fc.nat({ max: 12 }).map((n) => `${n}-`), fc.string({ maxLength: 3 }).map((s) => `${s}-`)),
    ),
    mostly(
      fc.constantFrom("", "/admin,"),
      fc.oneof(fc.constantFrom("/", "/admin", "/,"), fc.string({ maxLength: 8 }).map((s) => `/${s},`)),
    ),
    mostly(fc.oneof(fc.constant(""), fc.nat().map(String)), fc.constantFrom("4294967296", "00", "-1", "1.5", "1e3")),
    mostly(
      fc.oneof(
        fc.tuple(fc.string(), fc.array(payloadItem, { maxLength: 4 })).map(([name, rest]) => JSON.stringify([name, ...rest])),
        fc.constant(""),
        fc.dictionary(fc.constantFrom("token", "pid", "offset"), fc.oneof(fc.string(), fc.nat())).map((o) => JSON.stringify(o)),
      ),
      fc.oneof(
        fc.json({ maxDepth: 4 }),
        fc.nat({ max: 2000 }).map((d) => `["e",${"[".repeat(d)}${"]".repeat(d)}]`),
        fc.string(),
      ),
    ),
  )
  .chain((parts) =>
    // an attachment count belongs to binary types only; elsewhere it is rarely kept, as garbage
    mostly(fc.constant(parts[0] === "5" || parts[0] === "6"), fc.constant(true)).map((withCount) =>
      (withCount ? parts : [parts[0], ...parts.slice(2)]).join(""),
    ),
  );

/* ---- valid packets with nested binary, for round trips ---- */

const binary = fc.oneof(
  fc.uint8Array({ maxLength: 8 }).map((bytes) => Buffer.from(bytes)),
  fc.uint8Array({ maxLength: 8 }),
  fc.uint8Array({ maxLength: 8 }).map((bytes) => bytes.slice().buffer),
  fc.uint8Array({ minLength: 2, maxLength: 8 }).map((bytes) => new DataView(bytes.buffer, 1)),
);
// "_placeholder" is the one key Socket.IO cannot carry in a binary packet
const key = fc.string({ maxLength: 6 }).filter((k) => k !== "_placeholder");
const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { maxDepth: 6, depthSize: "small" },
    fc.oneof(fc.string(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), binary),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(key, tie("value"), { maxKeys: 4 }),
  ),
}));
const args = fc.array(value, { maxLength: 5 });
const nsp = fc.oneof(fc.constant("/"), fc.string({ maxLength: 12 }).filter((s) => !s.includes(",")).map((s) => `/${s}`));
const ackId = fc.integer({ min: 0, max: MAX_ACK_ID });
const resumeField = fc.string({ maxLength: MAX_RESUME_FIELD_LENGTH });
const auth = fc.dictionary(key.filter((k) => k !== "pid" && k !== "offset"), fc.jsonValue({ maxDepth: 4 }), { minKeys: 1, maxKeys: 4 });

const clientPacket: fc.Arbitrary<Packet> = fc.oneof(
  fc.record({ type: fc.constant(PacketType.EVENT), nsp, data: fc.tuple(fc.string(), args).map(([n, a]) => [n, ...a]), id: ackId }, { requiredKeys: ["type", "nsp", "data"] }),
  fc.record({ type: fc.constant(PacketType.ACK), nsp, id: ackId, data: args }),
  fc.record({ type: fc.constant(PacketType.CONNECT), nsp, auth, resume: fc.record({ pid: resumeField, position: resumeField }) }, { requiredKeys: ["type", "nsp"] }),
  fc.record({ type: fc.constant(PacketType.DISCONNECT), nsp }),
);

/** What a packet looks like after a trip through JSON and attachments: bytes as Buffers, -0 as 0. */
function normalize(input: unknown): unknown {
  if (input instanceof ArrayBuffer) return Buffer.from(input.slice(0));
  if (ArrayBuffer.isView(input)) return Buffer.from(input.buffer.slice(input.byteOffset, input.byteOffset + input.byteLength));
  if (Array.isArray(input)) return input.map(normalize);
  if (typeof input === "number") return Object.is(input, -0) ? 0 : input;
  if (typeof input === "object" && input !== null) {
    return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, normalize(v)]));
  }
  return input;
}

/** Every Engine.IO message the server would send for `packet`: the text, then each attachment. */
function messagesOf(packet: Packet): (string | Buffer)[] {
  const { text, attachments } = encodeSocketIoPacket(packet);
  return [text, ...attachments];
}

function feed(decoder: SocketIoDecoder, messages: readonly (string | Uint8Array)[]): Packet[] {
  const packets: Packet[] = [];
  for (const message of messages) {
    const packet = decoder.add(message);
    if (packet !== undefined) packets.push(packet);
  }
  return packets;
}

describe("Socket.IO dialect fuzzing", () => {
  describe("hostile input throws nothing but documented ProtocolErrors", () => {
    it("decodeEnginePacket: any text or bytes", () => {
      fc.assert(
        fc.property(anyMessage, fc.boolean(), (data, isBinary) => {
          onlyProtocolErrors(() => decodeEnginePacket(data, isBinary));
        }),
        RUNS,
      );
    });

    it("decodePollingPayload: any body, with separators and base64 packets mixed in", () => {
      const piece = fc.oneof(anyText, fc.base64String().map((s) => `b${s}`), fc.string().map((s) => `b${s}`), fc.constantFrom("2", "3", "4", "6"));
      const body = fc.array(piece, { maxLength: 8 }).map((pieces) => pieces.join("\x1e"));
      fc.assert(
        fc.property(body, fc.integer({ min: 1, max: 10 }), (text, maxPackets) => {
          onlyProtocolErrors(() => decodePollingPayload(text, { maxPackets }));
        }),
        RUNS,
      );
    });

    it("SocketIoDecoder: any sequence of text and binary messages", () => {
      fc.assert(
        fc.property(fc.array(fc.oneof(anyMessage, packetLikeText), { maxLength: 12 }), (messages) => {
          const decoder = new SocketIoDecoder();
          for (const message of messages) onlyProtocolErrors(() => decoder.add(message));
        }),
        RUNS,
      );
    });

    it("SocketIoDecoder: packet-shaped text, valid or not, with attachments following", () => {
      fc.assert(
        fc.property(packetLikeText, fc.array(fc.uint8Array({ maxLength: 4 }), { maxLength: 4 }), (text, attachments) => {
          const decoder = new SocketIoDecoder();
          onlyProtocolErrors(() => decoder.add(text));
          for (const bytes of attachments) onlyProtocolErrors(() => decoder.add(bytes));
        }),
        RUNS,
      );
    });

    it("SocketIoDecoder: a stream of valid packets with messages dropped, repeated or swapped for garbage", () => {
      const edit = fc.oneof(
        fc.record({ kind: fc.constant("drop" as const), at: fc.nat() }),
        fc.record({ kind: fc.constant("repeat" as const), at: fc.nat() }),
        fc.record({ kind: fc.constant("replace" as const), at: fc.nat(), with: fc.oneof(anyMessage, packetLikeText) }),
      );
      fc.assert(
        fc.property(fc.array(clientPacket, { minLength: 1, maxLength: 6 }), fc.array(edit, { maxLength: 3 }), (packets, edits) => {
          const messages = packets.flatMap(messagesOf) as (string | Uint8Array)[];
          for (const change of edits) {
            const at = change.at % messages.length;
            if (change.kind === "drop" && messages.length > 1) messages.splice(at, 1);
            else if (change.kind === "repeat") messages.splice(at, 0, messages[at]);
            else if (change.kind === "replace") messages[at] = change.with;
          }
          const decoder = new SocketIoDecoder({ maxAttachments: 1000 });
          for (const message of messages) onlyProtocolErrors(() => decoder.add(message));
        }),
        RUNS,
      );
    });
  });

  describe("round trips", () => {
    it("client packets with nested binary: encode, then decode", () => {
      fc.assert(
        fc.property(clientPacket, (packet) => {
          const decoded = feed(new SocketIoDecoder({ maxAttachments: 1000 }), messagesOf(packet));
          expect(decoded).toEqual([normalize(packet)]);
        }),
        RUNS,
      );
    });

    it("a sequence of packets through Engine.IO WebSocket frames", () => {
      fc.assert(
        fc.property(fc.array(clientPacket, { maxLength: 6 }), (packets) => {
          const frames = packets.flatMap(messagesOf).map((m) =>
            typeof m === "string" ? decodeEnginePacket(`${EnginePacketType.MESSAGE}${m}`, false) : decodeEnginePacket(m, true),
          );
          const decoded = feed(
            new SocketIoDecoder({ maxAttachments: 1000 }),
            frames.map((frame) => frame.data as string | Buffer),
          );
          expect(decoded).toEqual(packets.map(normalize));
        }),
        RUNS,
      );
    });

    it("a sequence of packets through one Engine.IO long-polling payload", () => {
      fc.assert(
        fc.property(fc.array(clientPacket, { minLength: 1, maxLength: 6 }), (packets) => {
          const body = encodePollingPayload(packets.flatMap(messagesOf).map((m) => (typeof m === "string" ? `4${m}` : m)));
          const engine = decodePollingPayload(body, { maxPackets: 10_000 });
          expect(engine.every((p) => p.type === EnginePacketType.MESSAGE)).toBe(true);
          const decoded = feed(new SocketIoDecoder({ maxAttachments: 1000 }), engine.map((p) => p.data as string | Buffer));
          expect(decoded).toEqual(packets.map(normalize));
        }),
        RUNS,
      );
    });

    it("EVENT_AT arrives as an EVENT whose last argument is the position", () => {
      fc.assert(
        fc.property(nsp, fc.string(), args, fc.string(), (namespace, name, rest, position) => {
          const packet: Packet = { type: PacketType.EVENT_AT, nsp: namespace, data: [name, ...rest], position };
          const decoded = feed(new SocketIoDecoder({ maxAttachments: 1000 }), messagesOf(packet));
          expect(decoded).toEqual([{ type: PacketType.EVENT, nsp: namespace, data: normalize([name, ...rest, position]) }]);
        }),
        RUNS,
      );
    });
  });
});
