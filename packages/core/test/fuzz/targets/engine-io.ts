import fc from "fast-check";
import {
  applyTextEdits,
  type Base64Damage,
  base64Damage,
  type DecoderTarget,
  editList,
  type EngineMessage,
  engineMessages,
  fingerprint,
  type FrameSpec,
  frameSpec,
  pollingBody,
  type SequenceEdit,
  sequenceEdit,
  SOCKETIO_TOKENS,
  type TextEdit,
  textEdit,
  timed,
} from "@roomcast/fuzz";
import { decodeEnginePacket, decodePollingPayload, type EnginePacket } from "../../../src/dialect/socketio/index.js";
import { documented, fail } from "../checks.js";

/**
 * One WebSocket frame (text, bytes, or bytes in a text frame), or one long-polling body built from
 * Socket.IO packets with attachments as base64, then damaged.
 */
export type EngineCase =
  | { transport: "websocket"; frame: EngineMessage; isBinary: boolean }
  | { transport: "polling"; specs: FrameSpec[]; sequence: SequenceEdit[]; damage: Base64Damage; edits: TextEdit[]; maxPackets: number };

const options = { namespaces: ["/", "/admin"], events: ["message", "echo"] };

export const engineCase: fc.Arbitrary<EngineCase> = fc.oneof(
  fc.record({
    transport: fc.constant("websocket" as const),
    frame: fc.oneof(
      frameSpec(options).map((spec) => engineMessages([spec])[0] ?? { text: "" }),
      fc.record({ bytes: fc.uint8Array({ maxLength: 16 }) }),
    ),
    isBinary: fc.boolean(),
  }),
  fc.record({
    transport: fc.constant("polling" as const),
    specs: fc.array(frameSpec(options), { minLength: 1, maxLength: 6 }),
    sequence: editList(sequenceEdit, 2),
    damage: base64Damage,
    edits: editList(textEdit(SOCKETIO_TOKENS), 3),
    maxPackets: fc.oneof(fc.constant(1000), fc.integer({ min: 1, max: 8 })),
  }),
);

/** docs: a text packet is `<type digit 0-6>[<data>]`; the reference reading of one, or the error code. */
function expectedText(text: string): { type: number; data?: string } | "ERR_INVALID_PACKET" {
  const type = text.charCodeAt(0) - 0x30;
  if (!(type >= 0 && type <= 6)) return "ERR_INVALID_PACKET";
  return type === 4 || text.length > 1 ? { type, data: text.slice(1) } : { type };
}

/* Padded standard base64, as engine.io-client writes it (docs/ERRORS.md: ERR_INVALID_PAYLOAD otherwise). */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The reference reading of a long-polling body: every packet, or the first error's code. */
function expectedBody(body: string, maxPackets: number): { type: number; data?: string | Uint8Array }[] | string {
  const parts = body.split("\x1e");
  const packets: { type: number; data?: string | Uint8Array }[] = [];
  for (let i = 0; i < parts.length; i++) {
    if (i === maxPackets) return "ERR_TOO_MANY_PACKETS";
    const part = parts[i];
    if (part[0] === "b") {
      if (!BASE64.test(part.slice(1))) return "ERR_INVALID_PAYLOAD";
      packets.push({ type: 4, data: new Uint8Array(Buffer.from(part.slice(1), "base64")) });
      continue;
    }
    const packet = expectedText(part);
    if (packet === "ERR_INVALID_PACKET") return packet;
    packets.push(packet);
  }
  return packets;
}

function attempt(decode: () => EnginePacket | EnginePacket[]): unknown {
  try {
    return timed(decode);
  } catch (err) {
    return documented(err).code;
  }
}

/**
 * Engine.IO v4 framing: `decodeEnginePacket` for a WebSocket frame and `decodePollingPayload` for
 * a long-polling body must read exactly what the specification says (checked against a reading
 * written from it here), or throw a documented ProtocolError.
 */
export const engineIoTarget: DecoderTarget<EngineCase> = {
  kind: "decoder",
  name: "engine-io",
  arbitrary: engineCase,
  check(input) {
    if (input.transport === "websocket") {
      const data = "text" in input.frame ? input.frame.text : input.frame.bytes;
      const got = attempt(() => decodeEnginePacket(data, input.isBinary));
      let expected: unknown;
      if (input.isBinary) expected = { type: 4, data: typeof data === "string" ? Buffer.from(data) : data };
      else expected = expectedText(typeof data === "string" ? data : Buffer.from(data).toString("utf8"));
      if (fingerprint(got) !== fingerprint(expected)) fail(`websocket frame read as ${fingerprint(got).slice(0, 300)}, expected ${fingerprint(expected).slice(0, 300)}`);
      return typeof got === "string" ? `websocket ${got}` : `websocket packet ${(got as EnginePacket).type}`;
    }
    const body = applyTextEdits(pollingBody(engineMessages(input.specs, input.sequence), input.damage), input.edits);
    const got = attempt(() => decodePollingPayload(body, { maxPackets: input.maxPackets }));
    const expected = expectedBody(body, input.maxPackets);
    if (fingerprint(got) !== fingerprint(expected)) fail(`polling body read as ${fingerprint(got).slice(0, 300)}, expected ${fingerprint(expected).slice(0, 300)}`);
    return typeof got === "string" ? `polling ${got}` : "polling packets";
  },
};
