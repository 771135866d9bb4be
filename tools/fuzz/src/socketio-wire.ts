import fc from "fast-check";
import { applyByteEdits, applyTextEdits, type ByteEdit, byteEdit, editList, type TextEdit, textEdit } from "./edits.js";
import { argValue, ackId, MAX_RESUME_FIELD, RESUME_PID, RESUME_POSITION } from "./roomcast-wire.js";
import { SOCKETIO_TOKENS } from "./tokens.js";
import { applyTweaks, type ValueTweak, valueTweak } from "./value-tweaks.js";

/*
 * What a Socket.IO v5 client sends, over Engine.IO v4 (the Socket.IO and Engine.IO protocol
 * specifications, "Packet encoding"), written from those specifications rather than from the
 * decoders under test: packets with binary attachments split out as placeholders, WebSocket
 * frames and long-polling payloads. Generated packets are valid; the frame specs below mutate
 * them at every layer.
 */

/** A Socket.IO packet a client sends: CONNECT 0, DISCONNECT 1, EVENT 2, ACK 3 (5 and 6 when binary). */
export interface SocketIoPacket {
  type: 0 | 1 | 2 | 3;
  nsp: string;
  id?: number;
  data?: unknown;
}

export interface SocketIoWireOptions {
  namespaces?: readonly string[];
  events?: readonly string[];
  /** CONNECT payloads carry a real session's pid and offset at times (RESUME_PID, RESUME_POSITION). */
  resume?: boolean;
}

function namespace(options: SocketIoWireOptions): fc.Arbitrary<string> {
  const known = options.namespaces ?? ["/", "/admin"];
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant(known[0]) },
    { weight: 3, arbitrary: fc.constantFrom(...known) },
    // no comma: it ends the namespace on the wire
    { weight: 1, arbitrary: fc.string({ maxLength: 10 }).map((s) => `/${s.replaceAll(",", "")}`) },
  );
}

export function socketIoPacket(options: SocketIoWireOptions = {}): fc.Arbitrary<SocketIoPacket> {
  const nsp = namespace(options);
  const args = fc.array(argValue, { maxLength: 4 });
  const event = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...(options.events ?? ["message"])) }, { weight: 1, arbitrary: fc.string({ maxLength: 10 }) });
  const field = fc.string({ maxLength: MAX_RESUME_FIELD + 2 });
  const auth = fc.oneof(
    fc.dictionary(fc.constantFrom("token", "user", "pid", "offset"), fc.oneof(fc.string({ maxLength: 10 }), fc.integer()), { maxKeys: 3 }),
    fc.record({ pid: options.resume ? fc.oneof(fc.constant(RESUME_PID), field) : field, offset: options.resume ? fc.oneof(fc.constant(RESUME_POSITION), field) : field }),
  );
  return fc.oneof(
    { weight: 2, arbitrary: fc.record({ type: fc.constant(0 as const), nsp, data: auth }, { requiredKeys: ["type", "nsp"] }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant(1 as const), nsp }) },
    { weight: 6, arbitrary: fc.record({ type: fc.constant(2 as const), nsp, id: ackId, data: fc.tuple(event, args).map(([e, a]) => [e, ...a]) }, { requiredKeys: ["type", "nsp", "data"] }) },
    { weight: 2, arbitrary: fc.record({ type: fc.constant(3 as const), nsp, id: ackId, data: args }) },
  );
}

/* Placeholders deeper than this are left to JSON.stringify: no decoder accepts such depth anyway. */
const MAX_ATTACHMENT_DEPTH = 64;

function extract(value: unknown, attachments: Uint8Array[], depth: number): unknown {
  if (value instanceof Uint8Array) {
    attachments.push(value);
    return { _placeholder: true, num: attachments.length - 1 };
  }
  if (typeof value !== "object" || value === null || depth > MAX_ATTACHMENT_DEPTH) return value;
  if (Array.isArray(value)) return value.map((item) => extract(item, attachments, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    Object.defineProperty(copy, key, { value: extract((value as Record<string, unknown>)[key], attachments, depth + 1), enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

/** The packet's text (without Engine.IO's "4") and its attachments, in order. Undefined when JSON cannot hold it. */
export function encodeSocketIo(packet: SocketIoPacket): { text: string; attachments: Uint8Array[] } | undefined {
  const attachments: Uint8Array[] = [];
  const data = packet.data === undefined ? undefined : extract(packet.data, attachments, 0);
  let payload = "";
  try {
    payload = data === undefined ? "" : (JSON.stringify(data) ?? "");
  } catch {
    return undefined;
  }
  const binary = attachments.length > 0 && (packet.type === 2 || packet.type === 3);
  const type = binary ? packet.type + 3 : packet.type;
  const count = binary ? `${attachments.length}-` : "";
  const nsp = packet.nsp === "/" ? "" : `${packet.nsp},`;
  return { text: `${type}${count}${nsp}${packet.id ?? ""}${payload}`, attachments: binary ? attachments : [] };
}

/** One Engine.IO message: text (type digit first) or bytes (a binary message, i.e. an attachment). */
export type EngineMessage = { text: string } | { bytes: Uint8Array };

/** How a generated packet, control packet or piece of garbage becomes Engine.IO messages. */
export type FrameSpec =
  | { kind: "packet"; packet: SocketIoPacket; tweaks: ValueTweak[]; edits: TextEdit[]; attachmentEdits: ByteEdit[] }
  | { kind: "control"; text: string }
  | { kind: "raw"; text: string }
  | { kind: "bytes"; bytes: Uint8Array };

/** Reorders, drops and repeats messages after encoding: attachments out of place, texts between them. */
export type SequenceEdit = { op: "drop" | "repeat"; at: number } | { op: "swap"; at: number; other: number };

/**
 * One frame's worth: a packet (mutated as a value, as text, in its attachments, each with chance
 * `odds`), an Engine.IO control packet, or garbage (text or bytes). A session fails at its first
 * bad frame, so generators of several frames want low odds.
 */
export function frameSpec(options: SocketIoWireOptions = {}, odds = 0.4): fc.Arbitrary<FrameSpec> {
  const other = Math.max(1, Math.round(odds * 30));
  return fc.oneof(
    {
      weight: 100,
      arbitrary: fc.record({
        kind: fc.constant("packet" as const),
        packet: socketIoPacket(options),
        tweaks: editList(valueTweak(false), 2, odds),
        edits: editList(textEdit(SOCKETIO_TOKENS), 3, odds),
        attachmentEdits: editList(byteEdit(), 2, odds / 2),
      }),
    },
    // Engine.IO packets a client may send on an open session (pong, noop, close), and ones it may not
    { weight: 2 * other, arbitrary: fc.record({ kind: fc.constant("control" as const), text: fc.constantFrom("3", "6", "1", "2", "2probe", "3probe", "5", "0", "7", "") }) },
    { weight: other, arbitrary: fc.record({ kind: fc.constant("raw" as const), text: fc.string({ maxLength: 20, unit: "binary" }) }) },
    { weight: other, arbitrary: fc.record({ kind: fc.constant("bytes" as const), bytes: fc.uint8Array({ maxLength: 20 }) }) },
  );
}

export const sequenceEdit: fc.Arbitrary<SequenceEdit> = fc.oneof(
  fc.record({ op: fc.constantFrom("drop" as const, "repeat" as const), at: fc.nat({ max: 64 }) }),
  fc.record({ op: fc.constant("swap" as const), at: fc.nat({ max: 64 }), other: fc.nat({ max: 64 }) }),
);

/** The Engine.IO messages of a list of frame specs, after the sequence edits. */
export function engineMessages(specs: readonly FrameSpec[], sequence: readonly SequenceEdit[] = [], replacements?: ReadonlyMap<string, string>): EngineMessage[] {
  const messages: EngineMessage[] = [];
  for (const spec of specs) {
    if (spec.kind === "control" || spec.kind === "raw") messages.push({ text: spec.text });
    else if (spec.kind === "bytes") messages.push({ bytes: spec.bytes });
    else {
      const packet = replacements === undefined ? spec.packet : (withReplacements(spec.packet, replacements) as SocketIoPacket);
      const tweaked = spec.tweaks.length === 0 ? packet : { ...packet, data: applyTweaks(packet.data, spec.tweaks) };
      const encoded = encodeSocketIo(tweaked);
      if (encoded === undefined) continue;
      messages.push({ text: "4" + applyTextEdits(encoded.text, spec.edits) });
      encoded.attachments.forEach((bytes, i) => messages.push({ bytes: i === 0 ? applyByteEdits(bytes, spec.attachmentEdits) : bytes }));
    }
  }
  for (const edit of sequence) {
    if (messages.length === 0) break;
    const at = edit.at % messages.length;
    if (edit.op === "swap") {
      const other = edit.other % messages.length;
      [messages[at], messages[other]] = [messages[other], messages[at]];
    } else if (edit.op === "drop") messages.splice(at, 1);
    else messages.splice(at, 0, messages[at]);
  }
  return messages;
}

function withReplacements(value: unknown, replacements: ReadonlyMap<string, string>): unknown {
  if (typeof value === "string") return replacements.get(value) ?? value;
  if (Array.isArray(value)) return value.map((item) => withReplacements(item, replacements));
  if (typeof value !== "object" || value === null || value instanceof Uint8Array) return value;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    Object.defineProperty(copy, key, { value: withReplacements((value as Record<string, unknown>)[key], replacements), enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

/** Ways a binary message's base64 goes wrong in a long-polling body. */
export type Base64Damage = "none" | "unpadded" | "urlsafe" | "junk" | "space" | "empty";

export const base64Damage: fc.Arbitrary<Base64Damage> = fc.oneof(
  { weight: 8, arbitrary: fc.constant("none" as const) },
  { weight: 1, arbitrary: fc.constantFrom("unpadded" as const, "urlsafe" as const, "junk" as const, "space" as const, "empty" as const) },
);

function base64Of(bytes: Uint8Array, damage: Base64Damage): string {
  const text = Buffer.from(bytes).toString("base64");
  switch (damage) {
    case "none":
      return text;
    case "unpadded":
      return text.replace(/=+$/, "");
    case "urlsafe":
      return Buffer.from(bytes).toString("base64url");
    case "junk":
      return text + "*";
    case "space":
      return text.slice(0, 2) + " " + text.slice(2);
    case "empty":
      return "";
  }
}

/** A long-polling request body: messages separated by "\x1e", binary ones as "b" + base64. */
export function pollingBody(messages: readonly EngineMessage[], damage: Base64Damage = "none"): string {
  return messages.map((message) => ("text" in message ? message.text : "b" + base64Of(message.bytes, damage))).join("\x1e");
}
