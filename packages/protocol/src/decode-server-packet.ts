import { ProtocolError } from "./errors.js";
import { type ConnectedInfo, MAX_ACK_ID, type Packet } from "./packet.js";
import { type DecodeLimits, DEFAULT_DECODE_LIMITS, exceedsDepth, isPlainObject } from "./wire.js";

/**
 * Validates a wire array a server sent and turns it into a packet. It accepts and returns exactly
 * what `fromWire(wire, FROM_SERVER, limits)` does, with a fraction of the code: clients never
 * receive CONNECT, so browser bundles need neither its checks nor a message per mistake. Anything
 * else throws the same ProtocolError (ERR_INVALID_PACKET, close code 1002).
 */
export function decodeServerPacket(wire: unknown, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): Packet {
  if (Array.isArray(wire)) {
    const [type, nsp, third] = wire as [unknown, unknown, unknown];
    const length = wire.length;
    if (type === 7 && length === 1) return { type };
    if (typeof nsp === "string" && nsp[0] === "/" && nsp.length <= limits.maxNamespaceLength) {
      if (type === 1 && isPlainObject(third) && typeof third.sid === "string") return { type, nsp, info: third as ConnectedInfo };
      if (type === 2 && typeof third === "string") return length > 3 ? { type, nsp, message: third, data: wire[3] } : { type, nsp, message: third };
      if (type === 3 && length === 2) return { type, nsp };
      // EVENT [4,nsp,ev,...], EVENT_WITH_ACK [5,nsp,id,ev,...], ACK [6,nsp,id,...], EVENT_AT [8,nsp,position,ev,...]
      if (type === 4 || type === 5 || type === 6 || type === 8) {
        const data = wire.slice(type === 4 ? 2 : 3);
        if ((type === 6 || typeof data[0] === "string") && !exceedsDepth(data, limits.maxDepth + 1)) {
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
