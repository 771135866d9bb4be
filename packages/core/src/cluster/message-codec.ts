import { Packr } from "msgpackr";
import { type ClusterMessage, MessageType, type WireBroadcastOptions } from "./messages.js";

/** Turns cluster messages into bytes and back. Every node of a cluster must use the same codec. */
export interface ClusterCodec {
  encode(message: ClusterMessage): Uint8Array;
  /** Returns undefined for bytes that are not a valid cluster message; never throws. */
  decode(payload: Uint8Array): ClusterMessage | undefined;
}

/*
 * Plain msgpack: no shared record structures (nodes never agree on them), maps as plain objects,
 * binary as Buffer, 64-bit integers as numbers.
 */
const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: "number" });

const KNOWN_TYPES: ReadonlySet<number> = new Set(Object.values(MessageType));

function isStringArray(value: unknown): value is string[] {
  if (!Array.isArray(value)) return false;
  for (const item of value) if (typeof item !== "string") return false;
  return true;
}

function isOptions(value: unknown): value is WireBroadcastOptions {
  if (typeof value !== "object" || value === null) return false;
  const opts = value as Record<string, unknown>;
  if (!isStringArray(opts.rooms)) return false;
  if (opts.except !== undefined && !isStringArray(opts.except)) return false;
  return opts.flags === undefined || (typeof opts.flags === "object" && opts.flags !== null);
}

function isPacket(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const packet = value as Record<string, unknown>;
  return typeof packet.type === "number" && typeof packet.nsp === "string" && Array.isArray(packet.data);
}

/** The ordering fields a membership change may carry (see `ChangeOrdering`). */
function isChangeOrdering(m: Record<string, unknown>): boolean {
  if (m.changeId !== undefined && typeof m.changeId !== "string") return false;
  if (m.fences !== undefined && !isStringArray(m.fences)) return false;
  if (m.confirm !== undefined && m.confirm !== 1 && m.confirm !== 2) return false;
  if (m.storedThrough !== undefined && typeof m.storedThrough !== "string") return false;
  // Fences, confirmations and store positions name the change they belong to.
  return m.changeId !== undefined || (m.fences === undefined && m.confirm === undefined && m.storedThrough === undefined);
}

/** Checks the fields the receiving code relies on, so a malformed message cannot throw later. */
export function isClusterMessage(value: unknown): value is ClusterMessage {
  if (typeof value !== "object" || value === null) return false;
  const m = value as Record<string, unknown>;
  if (typeof m.type !== "number" || !KNOWN_TYPES.has(m.type)) return false;
  if (typeof m.uid !== "string" || typeof m.nsp !== "string") return false;
  const hasRequestId = typeof m.requestId === "string";
  switch (m.type) {
    case MessageType.HEARTBEAT:
    case MessageType.NODE_CLOSE:
      return true;
    case MessageType.BROADCAST:
      return isOptions(m.opts) && isPacket(m.packet) && (m.mid === undefined || typeof m.mid === "string");
    case MessageType.BROADCAST_WITH_ACK:
      return hasRequestId && isOptions(m.opts) && isPacket(m.packet);
    case MessageType.BROADCAST_CLIENT_COUNT:
      return hasRequestId && typeof m.clientCount === "number" && m.clientCount >= 0;
    case MessageType.BROADCAST_ACK:
    case MessageType.SERVER_SIDE_EMIT_RESPONSE:
      return hasRequestId && Array.isArray(m.args);
    case MessageType.SOCKETS_JOIN:
    case MessageType.SOCKETS_LEAVE:
      return isOptions(m.opts) && isStringArray(m.rooms) && isChangeOrdering(m);
    case MessageType.DISCONNECT_SOCKETS:
      return isOptions(m.opts) && typeof m.close === "boolean" && isChangeOrdering(m);
    case MessageType.FETCH_SOCKETS:
      return hasRequestId && isOptions(m.opts);
    case MessageType.FETCH_SOCKETS_RESPONSE:
      return hasRequestId && Array.isArray(m.sockets);
    case MessageType.SERVER_SIDE_EMIT:
      return Array.isArray(m.args) && (m.requestId === undefined || hasRequestId);
    case MessageType.FENCE:
      return typeof m.changeId === "string";
    case MessageType.CHANGE_APPLIED:
      return hasRequestId && (m.nodes === undefined || isStringArray(m.nodes));
    case MessageType.HANDLED_LATE:
      return typeof m.pid === "string" && typeof m.sid === "string" && Number.isSafeInteger(m.id) && (m.reply === undefined || Array.isArray(m.reply));
  }
  return false;
}

/** The default codec: msgpackr, validated on the way in. */
export const msgpackClusterCodec: ClusterCodec = {
  encode: (message) => packr.pack(message),
  decode(payload) {
    let value: unknown;
    try {
      value = packr.unpack(payload);
    } catch {
      return undefined;
    }
    return isClusterMessage(value) ? value : undefined;
  },
};
