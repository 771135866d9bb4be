import { base64ToBytes, bytesToBase64 } from "./base64.js";
import { ProtocolError } from "./errors.js";
import { type DecodeLimits, DEFAULT_DECODE_LIMITS } from "./wire.js";

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

function isBinaryObject(record: Record<string, unknown>): boolean {
  if (typeof record[BINARY_KEY] !== "string") return false;
  let keys = 0;
  for (const _ in record) if (++keys > 1) return false;
  return true;
}

/**
 * Turns `{"$bin": base64}` objects back into bytes, in place (only when `binary`), and refuses
 * values nested deeper than `remaining` levels. Iterative JSON.parse accepts any depth, so this
 * walk, which recurses, counts levels the way fromWire does (arrays and objects count; bytes are
 * values, not containers) and stops at the limit: the frame would be refused for its depth anyway.
 * The server revives whole frames here (parseJsonFrame); the client bounds an event's arguments
 * and revives them in the same pass (decodeServerPacket), so it walks each frame once.
 */
export function reviveBinary(value: unknown, remaining: number, binary = true): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) {
    if (remaining === 0) tooDeep();
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === "object" && item !== null) value[i] = reviveBinary(item, remaining - 1, binary);
    }
    return value;
  }
  const record = value as Record<string, unknown>;
  // bytes are no container for the depth limit, so a binary value is revived at any level
  if (binary && isBinaryObject(record)) return base64ToBytes(record[BINARY_KEY] as string);
  if (isBinary(record)) return record;
  if (remaining === 0) tooDeep();
  for (const key in record) {
    const item = record[key];
    if (typeof item === "object" && item !== null) {
      const revived = reviveBinary(item, remaining - 1, binary);
      // JSON.parse made any "__proto__" key an own property, so this sets the key, not the prototype
      if (revived !== item) record[key] = revived;
    }
  }
  return record;
}

function tooDeep(): never {
  throw new ProtocolError("payload nested too deeply");
}

/** A wire array as the text of one JSON frame. */
export function stringifyJsonFrame(wire: unknown[]): string {
  // The replacer is costly, so only packets that carry binary pay for it.
  return containsBinary(wire, 0) ? JSON.stringify(wire, binaryToJson) : JSON.stringify(wire);
}

/**
 * One JSON frame's value as JSON.parse returns it. Throws ProtocolError: 1003 for a binary frame,
 * 1007 for invalid JSON.
 */
export function parseJson(data: string | Uint8Array): unknown {
  if (typeof data !== "string") {
    // codes as literals (typed by the unions) so that client bundles leave the code tables out
    throw new ProtocolError("the JSON subprotocol uses text frames", "ERR_UNSUPPORTED_DATA", 1003);
  }
  try {
    // V8 parses without recursion; a reviver argument would recurse once per level, unbounded.
    return JSON.parse(data);
  } catch {
    throw new ProtocolError("frame is not valid JSON", "ERR_INVALID_PAYLOAD", 1007);
  }
}

/**
 * Whether a frame's text may hold `{"$bin": …}` values: only such frames pay for reviving them.
 * JSON.stringify writes the marker without spaces, so text without it holds none.
 */
export function mayHoldBinary(text: string): boolean {
  return text.includes(BINARY_MARKER);
}

/**
 * One JSON frame's value, not yet validated, with its `$bin` values revived. Throws
 * ProtocolError: 1003 for a binary frame, 1007 for invalid JSON, 1002 for a frame carrying `$bin`
 * values nested deeper than `limits` allow.
 */
export function parseJsonFrame(data: string | Uint8Array, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): unknown {
  const value = parseJson(data);
  // Only frames that may carry binary pay for the walk; the wire array plus maxDepth levels of
  // arguments is what fromWire accepts.
  return mayHoldBinary(data as string) ? reviveBinary(value, limits.maxDepth + 1) : value;
}
