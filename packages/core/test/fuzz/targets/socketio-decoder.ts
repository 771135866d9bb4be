import fc from "fast-check";
import { MAX_RESUME_FIELD_LENGTH, type Packet } from "@roomcast/protocol";
import { type DecoderTarget, editList, engineMessages, fingerprint, type FrameSpec, frameSpec, type SequenceEdit, sequenceEdit, type SocketIoPacket, timed } from "@roomcast/fuzz";
import { SocketIoDecoder } from "../../../src/dialect/socketio/index.js";
import { checkClientPacket, documented, fail, holdsPlaceholder } from "../checks.js";

/** Socket.IO packets with binary attachments, ack ids, namespaces and recovery fields, mutated at every layer, fed to one decoder. */
export interface SocketIoDecoderCase {
  specs: FrameSpec[];
  sequence: SequenceEdit[];
  maxAttachments: number;
}

export const socketIoDecoderCase: fc.Arbitrary<SocketIoDecoderCase> = fc.record({
  specs: fc.array(frameSpec({ namespaces: ["/", "/admin"], events: ["message", "echo"] }), { minLength: 1, maxLength: 6 }),
  sequence: editList(sequenceEdit, 2),
  maxAttachments: fc.oneof(fc.constant(10), fc.integer({ min: 0, max: 12 })),
});

/** What the decoder must make of an unmutated packet (Socket.IO protocol v5 → docs/PROTOCOL.md), or the error it must throw. */
function expectedPacket(packet: SocketIoPacket, attachments: number, maxAttachments: number): Packet | string {
  const { nsp, id, data } = packet;
  if (attachments > maxAttachments) return "ERR_TOO_MANY_ATTACHMENTS";
  switch (packet.type) {
    case 0: {
      if (data === undefined) return { type: 0, nsp };
      const { pid, offset, ...rest } = data as Record<string, unknown>;
      if (typeof pid !== "string" || typeof offset !== "string") return { type: 0, nsp, auth: data as Record<string, unknown> };
      if (pid.length > MAX_RESUME_FIELD_LENGTH || offset.length > MAX_RESUME_FIELD_LENGTH) return "ERR_INVALID_PACKET";
      return Object.keys(rest).length === 0 ? { type: 0, nsp, resume: { pid, position: offset } } : { type: 0, nsp, auth: rest, resume: { pid, position: offset } };
    }
    case 1:
      return { type: 3, nsp };
    case 2:
      return id === undefined ? { type: 4, nsp, data: data as unknown[] } : { type: 4, nsp, data: data as unknown[], id };
    case 3:
      return { type: 6, nsp, id: id as number, data: data as unknown[] };
  }
}

function countAttachments(value: unknown): number {
  if (value instanceof Uint8Array) return 1;
  if (typeof value !== "object" || value === null) return 0;
  return Object.values(value).reduce((sum: number, item) => sum + countAttachments(item), 0);
}

/**
 * `SocketIoDecoder` fed the Engine.IO messages of a session, in order, until the first error (after
 * which a server closes the session): each returns a valid client packet with every placeholder
 * resolved, or nothing while attachments are awaited, or a documented ProtocolError. When nothing
 * was mutated, the packets are exactly the generated ones.
 */
export const socketIoDecoderTarget: DecoderTarget<SocketIoDecoderCase> = {
  kind: "decoder",
  name: "socketio-decoder",
  arbitrary: socketIoDecoderCase,
  check(input) {
    const decoder = new SocketIoDecoder({ maxAttachments: input.maxAttachments });
    const decoded: (Packet | string)[] = [];
    let text = "";
    for (const message of engineMessages(input.specs, input.sequence)) {
      try {
        if ("text" in message) text = message.text.slice(1);
        const packet = timed(() => decoder.add("text" in message ? text : message.bytes));
        if (packet !== undefined) {
          checkClientPacket(packet, text[0] === "5" || text[0] === "6");
          decoded.push(packet);
        }
      } catch (err) {
        decoded.push(documented(err).code);
        break;
      }
    }
    const pristine =
      input.sequence.length === 0 &&
      input.specs.every((spec) => spec.kind === "packet" && spec.tweaks.length === 0 && spec.edits.length === 0 && spec.attachmentEdits.length === 0);
    const last = decoded.at(-1);
    const outcome = typeof last === "string" ? last : last === undefined ? "awaiting attachments" : `packets, last ${checkClientPacket(last, false)}`;
    // Socket.IO reads any object with `_placeholder: true` as a placeholder: such data cannot round-trip
    if (!pristine || input.specs.some((spec) => spec.kind === "packet" && holdsPlaceholder(spec.packet.data))) return outcome;
    const expected: (Packet | string)[] = [];
    for (const spec of input.specs) {
      if (spec.kind !== "packet") continue;
      const packet = expectedPacket(spec.packet, spec.packet.type >= 2 ? countAttachments(spec.packet.data) : 0, input.maxAttachments);
      expected.push(packet);
      if (typeof packet === "string") break;
    }
    if (fingerprint(decoded) !== fingerprint(expected)) fail(`decoded ${fingerprint(decoded).slice(0, 400)}, expected ${fingerprint(expected).slice(0, 400)}`);
    return `exact: ${outcome}`;
  },
};
