import { CloseCode, ErrorCode, ProtocolError } from "@roomcast/protocol";
import { asBuffer } from "./bytes.js";
import { decodeEngineText, type EnginePacket, EnginePacketType } from "./engine-packet.js";

/** Limits on one long-polling request body. */
export interface PollingLimits {
  /** Most Engine.IO packets one payload may hold. */
  maxPackets: number;
}

export const DEFAULT_POLLING_LIMITS: PollingLimits = {
  /* engine.io-client batches by bytes, not count: 1000 covers a long offline burst of small emits
     while bounding the work one request body can queue */
  maxPackets: 1000,
};

const RECORD_SEPARATOR = "\x1e";
const BINARY_PREFIX = "b";
/* Standard alphabet, padded, as engine.io-client writes it. Buffer.from(…, "base64") silently
   skips anything else, so validity is checked before decoding. */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeBase64(text: string): Buffer {
  if (text.length % 4 !== 0 || !BASE64.test(text)) {
    throw new ProtocolError("binary packet is not valid base64", ErrorCode.INVALID_PAYLOAD, CloseCode.INVALID_PAYLOAD);
  }
  return Buffer.from(text, "base64");
}

/**
 * Splits a long-polling request body into Engine.IO v4 packets (Engine.IO protocol v4, "Packet
 * encoding > HTTP long-polling"): packets are separated by the record separator `\x1e`, a text
 * packet is `<type digit>[<data>]`, and `b<base64>` is a binary message.
 *
 * ```ts
 * decodePollingPayload("4hello\x1e2\x1ebAQIDBA==");
 * // [{ type: 4, data: "hello" }, { type: 2 }, { type: 4, data: <Buffer 01 02 03 04> }]
 * ```
 *
 * @throws ProtocolError
 *   - `ERR_INVALID_PACKET` (close 1002): an empty body, an empty packet, an unknown type digit;
 *   - `ERR_INVALID_PAYLOAD` (close 1007): a binary packet that is not padded standard base64;
 *   - `ERR_TOO_MANY_PACKETS` (close 4004): more than `limits.maxPackets` packets, detected before
 *     the rest of the body is split.
 */
export function decodePollingPayload(body: string, limits: PollingLimits = DEFAULT_POLLING_LIMITS): EnginePacket[] {
  const packets: EnginePacket[] = [];
  let start = 0;
  for (;;) {
    if (packets.length === limits.maxPackets) {
      throw new ProtocolError(
        `a long-polling payload holds at most ${limits.maxPackets} packets`,
        ErrorCode.TOO_MANY_PACKETS,
        CloseCode.LIMIT_EXCEEDED,
      );
    }
    const end = body.indexOf(RECORD_SEPARATOR, start);
    const text = end === -1 ? body.slice(start) : body.slice(start, end);
    packets.push(
      text[0] === BINARY_PREFIX
        ? { type: EnginePacketType.MESSAGE, data: decodeBase64(text.slice(1)) }
        : decodeEngineText(text),
    );
    if (end === -1) return packets;
    start = end + 1;
  }
}

/**
 * Joins packets into one long-polling response body (Engine.IO protocol v4). A string is an
 * already encoded text packet (`"2"`, `"4" + socketIoText`) and must not contain `\x1e`. JSON
 * never does (JSON.stringify escapes control characters); a namespace name is the one unescaped
 * part of a Socket.IO packet, and a long-polling client cannot join a namespace whose name holds
 * one, since its CONNECT would split in two. Bytes become a binary message, `b<base64>`.
 *
 * ```ts
 * encodePollingPayload(["4hello", Buffer.from([1, 2, 3, 4])]); // "4hello\x1ebAQIDBA=="
 * ```
 *
 * An empty list gives `""`; a server with nothing to send answers a pending poll with a noop
 * (`"6"`) instead.
 */
export function encodePollingPayload(packets: readonly (string | Uint8Array)[]): string {
  let body = "";
  for (let i = 0; i < packets.length; i++) {
    const packet = packets[i];
    if (i > 0) body += RECORD_SEPARATOR;
    body += typeof packet === "string" ? packet : BINARY_PREFIX + asBuffer(packet).toString("base64");
  }
  return body;
}
