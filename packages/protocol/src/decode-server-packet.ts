import { ProtocolError } from "./errors.js";
import { mayHoldBinary, parseJson, reviveBinary } from "./json-frame.js";
import { type ConnectedInfo, MAX_ACK_ID, type Packet } from "./packet.js";
import { type DecodeLimits, DEFAULT_DECODE_LIMITS, isPlainObject } from "./wire.js";

/**
 * Validates a wire array a server sent and turns it into a packet. It accepts and returns exactly
 * what `fromWire(wire, FROM_SERVER, limits)` does, with a fraction of the code: clients never
 * receive CONNECT, so browser bundles need neither its checks nor a message per mistake. Anything
 * else throws the same ProtocolError (ERR_INVALID_PACKET, close code 1002).
 *
 * With `binary`, `{"$bin": base64}` values are revived on the way, as parseJsonFrame revives
 * them: pass a frame's bare JSON.parse value and whether its text may hold them
 * (see {@link decodeServerJson}). An event's arguments are then walked once, for both.
 *
 * With `owned` (the caller made `wire` for this decode alone, as decodeServerJson's own
 * JSON.parse), an event's arguments are taken from `wire` in place instead of copied: one array
 * less per message. Without it the caller's array is left as it was (`$bin` values aside).
 */
export function decodeServerPacket(wire: unknown, limits: DecodeLimits = DEFAULT_DECODE_LIMITS, binary = false, owned = false): Packet {
  if (Array.isArray(wire)) {
    const type: unknown = wire[0];
    const length = wire.length;
    const depth = limits.maxDepth + 1;
    const event = type === 4 || type === 5 || type === 6 || type === 8;
    // CONNECTED and CONNECT_ERROR carry values of their own: revive them first, bounded as
    // parseJsonFrame bounds a whole frame (an event's arguments are revived with their check below)
    if (binary && !event) reviveBinary(wire, depth);
    const [, nsp, third] = wire as [unknown, unknown, unknown];
    if (type === 7 && length === 1) return { type };
    if (typeof nsp === "string" && nsp[0] === "/" && nsp.length <= limits.maxNamespaceLength) {
      if (type === 1 && isPlainObject(third) && typeof third.sid === "string") return { type, nsp, info: third as ConnectedInfo };
      if (type === 2 && typeof third === "string") return length > 3 ? { type, nsp, message: third, data: wire[3] } : { type, nsp, message: third };
      if (type === 3 && length === 2) return { type, nsp };
      // EVENT [4,nsp,ev,...], EVENT_WITH_ACK [5,nsp,id,ev,...], ACK [6,nsp,id,...], EVENT_AT [8,nsp,position,ev,...]
      if (event) {
        // the argument list plus at most maxDepth levels (throws past them), as fromWire allows
        // shift() trims the array where it stands (V8 moves the start of its store): no copy
        const data = owned ? (wire.shift(), wire.shift(), type === 4 || wire.shift(), wire) : wire.slice(type === 4 ? 2 : 3);
        reviveBinary(data, depth, binary);
        if (type === 6 || typeof data[0] === "string") {
          if (type === 4) return { type, nsp, data };
          if (type === 8) {
            if (typeof third === "string") return { type, nsp, data, position: third };
          } else if (Number.isInteger(third) && (third as number) >= 0 && (third as number) <= MAX_ACK_ID) {
            return type === 6 ? { type, nsp, id: third as number, data } : { type: 4, nsp, data, id: third as number };
          }
        }
      }
    }
  }
  throw new ProtocolError("not a packet a server sends");
}

/**
 * A client's decode of one JSON frame: `decodeServerPacket(parseJsonFrame(data, limits), limits)`
 * in one walk of the arguments instead of two. Throws ProtocolError as the two do: 1003 for a
 * binary frame, 1007 for invalid JSON, 1002 for anything that is not a packet a server sends.
 */
export function decodeServerJson(data: string | Uint8Array, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): Packet {
  return decodeServerPacket(parseJson(data), limits, mayHoldBinary(data as string), true);
}
