import { base64ToBytes, bytesToBase64 } from "./base64.js";
import type { Codec } from "./codec.js";
import { ProtocolError } from "./errors.js";
import type { Packet } from "./packet.js";
import { Subprotocol } from "./subprotocol.js";
import { DEFAULT_DECODE_LIMITS, fromWire, toWire } from "./wire.js";

/**
 * JSON has no binary type, so binary values travel as `{"$bin":"<base64>"}` and come back as
 * Uint8Array. An object whose only key is `$bin` is therefore reserved.
 */
const BINARY_KEY = "$bin";
const BINARY_MARKER = `{"${BINARY_KEY}":`;

function isBinary(value: unknown): value is Uint8Array | ArrayBuffer {
  return value instanceof ArrayBuffer || ArrayBuffer.isView(value);
}

function containsBinary(value: unknown, depth: number): boolean {
  if (typeof value !== "object" || value === null || depth > 64) return false;
  if (isBinary(value)) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (containsBinary(value[i], depth + 1)) return true;
    return false;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") return false;
  for (const key in value) if (containsBinary((value as Record<string, unknown>)[key], depth + 1)) return true;
  return false;
}

function binaryToJson(_key: string, value: unknown): unknown {
  if (isBinary(value)) {
    const bytes = value instanceof ArrayBuffer ? new Uint8Array(value) : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    return { [BINARY_KEY]: bytesToBase64(bytes) };
  }
  // Buffer#toJSON runs before the replacer sees it; undo that.
  if (typeof value === "object" && value !== null && (value as { type?: unknown }).type === "Buffer" && Array.isArray((value as { data?: unknown }).data)) {
    return { [BINARY_KEY]: bytesToBase64(Uint8Array.from((value as { data: number[] }).data)) };
  }
  return value;
}

function jsonToBinary(_key: string, value: unknown): unknown {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const text = (value as Record<string, unknown>)[BINARY_KEY];
    if (typeof text === "string" && Object.keys(value).length === 1) return base64ToBytes(text);
  }
  return value;
}

function encodeJson(packet: Packet): string {
  const wire = toWire(packet);
  // The replacer is costly, so only packets that carry binary pay for it.
  return containsBinary(wire, 0) ? JSON.stringify(wire, binaryToJson) : JSON.stringify(wire);
}

function decodeJson(data: string | Uint8Array, allowed: ReadonlySet<number>, limits = DEFAULT_DECODE_LIMITS): Packet {
  if (typeof data !== "string") {
    // codes as literals (typed by the unions) so that client bundles leave the code tables out
    throw new ProtocolError("the JSON subprotocol uses text frames", "ERR_UNSUPPORTED_DATA", 1003);
  }
  let wire: unknown;
  try {
    wire = data.includes(BINARY_MARKER) ? JSON.parse(data, jsonToBinary) : JSON.parse(data);
  } catch {
    throw new ProtocolError("frame is not valid JSON", "ERR_INVALID_PAYLOAD", 1007);
  }
  return fromWire(wire, allowed, limits);
}

export const jsonCodec: Codec = {
  name: "json",
  subprotocol: Subprotocol.JSON,
  binary: false,
  encode: encodeJson,
  decode: decodeJson,
};
