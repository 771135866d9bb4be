import { DEFAULT_DECODE_LIMITS, ProtocolError } from "@roomcast/protocol";
import { asBuffer, isBinary } from "./bytes.js";

/*
 * Socket.IO protocol v5 sends binary values out of band: the JSON text holds
 * {"_placeholder":true,"num":n} where the value was, and the n-th binary message that follows
 * holds its bytes. This file swaps values for placeholders and back; it knows nothing else about
 * packets.
 */

/* Deeper than anything the decoder accepts (DecodeLimits.maxDepth), and shallow enough that the
   recursive walks below never overflow the stack on data the server itself emits. Binary values
   nested deeper are left to JSON.stringify, which writes a Buffer as {"type":"Buffer","data":[…]}. */
const MAX_ENCODE_DEPTH = 64;

/**
 * True when binary values occur in `value`. Objects with a `toJSON` method (Date, …) are not
 * searched: JSON.stringify serializes what toJSON returns, and calling it here could have
 * side effects.
 */
export function hasBinary(value: unknown, depth = 0): boolean {
  if (typeof value !== "object" || value === null || depth > MAX_ENCODE_DEPTH) return false;
  if (isBinary(value)) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (hasBinary(value[i], depth + 1)) return true;
    return false;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") return false;
  for (const key in value) if (hasBinary((value as Record<string, unknown>)[key], depth + 1)) return true;
  return false;
}

/**
 * A copy of `value` with every binary value replaced by a placeholder and its bytes appended to
 * `attachments` (as Buffers sharing the original memory). `value` itself is left untouched: the
 * same packet may still be encoded by another dialect.
 */
export function extractAttachments(value: unknown, attachments: Buffer[], depth = 0): unknown {
  if (typeof value !== "object" || value === null || depth > MAX_ENCODE_DEPTH) return value;
  if (isBinary(value)) {
    attachments.push(asBuffer(value));
    return { _placeholder: true, num: attachments.length - 1 };
  }
  if (Array.isArray(value)) {
    const copy = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) copy[i] = extractAttachments(value[i], attachments, depth + 1);
    return copy;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") return value;
  // no prototype, so that a "__proto__" key stays a key instead of replacing the prototype
  const copy = Object.create(null) as Record<string, unknown>;
  // own enumerable keys: exactly what JSON.stringify would write
  for (const key of Object.keys(value)) {
    copy[key] = extractAttachments((value as Record<string, unknown>)[key], attachments, depth + 1);
  }
  return copy;
}

/**
 * Puts the received attachments back where their placeholders are, in place. Any object whose
 * `_placeholder` is `true` counts as a placeholder, as in the reference implementation.
 *
 * The decoder calls it only on values fromWire has already bounded, but the walk recurses, so it
 * bounds itself too: `remaining` counts levels the way fromWire does (arrays and objects count,
 * placeholders become bytes and do not), and it refuses to go deeper.
 *
 * @throws ProtocolError `ERR_INVALID_PACKET` (close 1002) for a placeholder whose `num` is not an
 *   integer in [0, attachments.length), or nesting deeper than `remaining`.
 */
export function restoreAttachments(value: unknown, attachments: readonly Buffer[], remaining = DEFAULT_DECODE_LIMITS.maxDepth + 1): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) {
    if (remaining === 0) tooDeep();
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      const restored = restoreAttachments(item, attachments, remaining - 1);
      if (restored !== item) value[i] = restored;
    }
    return value;
  }
  const record = value as Record<string, unknown>;
  if (record._placeholder === true) {
    const num = record.num;
    if (typeof num !== "number" || !Number.isInteger(num) || num < 0 || num >= attachments.length) {
      throw new ProtocolError(`attachment placeholder must have an integer num in [0, ${attachments.length})`);
    }
    return attachments[num];
  }
  if (remaining === 0) tooDeep();
  for (const key in record) {
    const item = record[key];
    const restored = restoreAttachments(item, attachments, remaining - 1);
    // an own "__proto__" key (JSON.parse makes one) is found before the prototype's setter
    if (restored !== item) record[key] = restored;
  }
  return record;
}

function tooDeep(): never {
  throw new ProtocolError("payload nested too deeply");
}
