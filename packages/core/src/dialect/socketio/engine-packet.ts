import { ProtocolError } from "@roomcast/protocol";
import { asBuffer } from "./bytes.js";

/**
 * Engine.IO protocol v4 packet types. On the wire a text packet is its type digit followed by its
 * data, e.g. `2` (ping), `3probe` (pong to an upgrade probe), `4hello` (message).
 */
export const EnginePacketType = {
  OPEN: 0,
  CLOSE: 1,
  PING: 2,
  PONG: 3,
  MESSAGE: 4,
  UPGRADE: 5,
  NOOP: 6,
} as const;
export type EnginePacketType = (typeof EnginePacketType)[keyof typeof EnginePacketType];

/** A message always has data: the text after the `4`, or the bytes of a binary message. */
export interface EngineMessagePacket {
  type: typeof EnginePacketType.MESSAGE;
  data: string | Buffer;
}
/** Any other packet; `data` is present when the frame had text after the type digit (`2probe`). */
export interface EngineControlPacket {
  type: Exclude<EnginePacketType, typeof EnginePacketType.MESSAGE>;
  data?: string;
}
export type EnginePacket = EngineMessagePacket | EngineControlPacket;

const DIGIT_ZERO = 0x30;

/**
 * Decodes one Engine.IO v4 text packet (`<type digit>[<data>]`). Also the per-packet step of a
 * long-polling payload, where binary messages are handled before this is reached.
 *
 * @throws ProtocolError `ERR_INVALID_PACKET` (close 1002) when `text` is empty or does not start
 *   with a type digit 0-6.
 */
export function decodeEngineText(text: string): EnginePacket {
  const type = text.charCodeAt(0) - DIGIT_ZERO; // NaN for "", so the range test rejects it too
  if (!(type >= EnginePacketType.OPEN && type <= EnginePacketType.NOOP)) {
    throw new ProtocolError(text.length === 0 ? "empty Engine.IO packet" : "unknown Engine.IO packet type");
  }
  if (type === EnginePacketType.MESSAGE) return { type, data: text.slice(1) };
  return text.length > 1 ? { type: type as EngineControlPacket["type"], data: text.slice(1) } : { type: type as EngineControlPacket["type"] };
}

/**
 * Decodes the Engine.IO v4 packet carried by one WebSocket frame (Engine.IO protocol v4,
 * "Packet encoding > WebSocket"): a text frame is `<type digit>[<data>]`, a binary frame is a
 * message whose data is the frame's bytes, unchanged.
 *
 * `data` may be a `Buffer` for a text frame too (what `ws` delivers); it is read as UTF-8, which
 * `ws` has already validated. Clients never send `open`, but it decodes like any other type so
 * the caller decides what an unexpected type means.
 *
 * ```ts
 * decodeEnginePacket("2probe", false); // { type: EnginePacketType.PING, data: "probe" }
 * decodeEnginePacket(bytes, true);     // { type: EnginePacketType.MESSAGE, data: <Buffer> }
 * ```
 *
 * @throws ProtocolError `ERR_INVALID_PACKET` (close 1002) for an empty text frame or an unknown
 *   type digit. A binary frame never throws, even an empty one (an empty attachment is valid).
 */
export function decodeEnginePacket(data: string | Uint8Array, isBinary: boolean): EnginePacket {
  if (isBinary) {
    return { type: EnginePacketType.MESSAGE, data: typeof data === "string" ? Buffer.from(data) : asBuffer(data) };
  }
  return decodeEngineText(typeof data === "string" ? data : asBuffer(data).toString("utf8"));
}

/**
 * The text form of an Engine.IO v4 packet: `encodeEnginePacket(EnginePacketType.PONG, "probe")`
 * is `"3probe"`, `encodeEnginePacket(EnginePacketType.MESSAGE, socketIoText)` is the frame for a
 * Socket.IO packet. Binary messages are not encoded here: over WebSocket they are sent as the
 * bytes themselves, over long-polling `encodePollingPayload` base64-encodes them.
 */
export function encodeEnginePacket(type: EnginePacketType, data = ""): string {
  return type + data;
}
