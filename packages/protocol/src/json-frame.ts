import { base64ToBytes, bytesToBase64 } from "./base64.js";
import { ProtocolError } from "./errors.js";

/*
 * The JSON subprotocol's text, without the packet model: both the full codec (server) and the
 * client's lighter decode path build on these two functions.
 *
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

/** A wire array as the text of one JSON frame. */
export function stringifyJsonFrame(wire: unknown[]): string {
  // The replacer is costly, so only packets that carry binary pay for it.
  return containsBinary(wire, 0) ? JSON.stringify(wire, binaryToJson) : JSON.stringify(wire);
}

/** One JSON frame's value, not yet validated. Throws ProtocolError (1003 binary frame, 1007 bad JSON). */
export function parseJsonFrame(data: string | Uint8Array): unknown {
  if (typeof data !== "string") {
    // codes as literals (typed by the unions) so that client bundles leave the code tables out
    throw new ProtocolError("the JSON subprotocol uses text frames", "ERR_UNSUPPORTED_DATA", 1003);
  }
  try {
    return data.includes(BINARY_MARKER) ? JSON.parse(data, jsonToBinary) : JSON.parse(data);
  } catch {
    throw new ProtocolError("frame is not valid JSON", "ERR_INVALID_PAYLOAD", 1007);
  }
}
