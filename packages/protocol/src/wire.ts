import { ProtocolError } from "./errors.js";
import { MAX_ACK_ID, type Packet, PacketType } from "./packet.js";

/** Limits a decoder enforces on untrusted input. */
export interface DecodeLimits {
  /** Deepest nesting of arrays/objects allowed inside event arguments. */
  maxDepth: number;
  /** Longest namespace name accepted. */
  maxNamespaceLength: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = {
  /* deep enough for any real document, shallow enough that recursive code never overflows */
  maxDepth: 32,
  maxNamespaceLength: 256,
};

/** Packet types each side may receive; anything else from that peer is a protocol error. */
export const FROM_CLIENT: ReadonlySet<number> = new Set([
  PacketType.CONNECT,
  PacketType.DISCONNECT,
  PacketType.EVENT,
  PacketType.EVENT_WITH_ACK,
  PacketType.ACK,
  PacketType.HEARTBEAT,
]);
export const FROM_SERVER: ReadonlySet<number> = new Set([
  PacketType.CONNECTED,
  PacketType.CONNECT_ERROR,
  PacketType.DISCONNECT,
  PacketType.EVENT,
  PacketType.EVENT_WITH_ACK,
  PacketType.ACK,
  PacketType.HEARTBEAT,
  PacketType.EVENT_AT,
]);

/** Turns a packet into its wire array (see docs/PROTOCOL.md). */
export function toWire(packet: Packet): unknown[] {
  switch (packet.type) {
    case PacketType.CONNECT:
      return packet.auth === undefined ? [0, packet.nsp] : [0, packet.nsp, packet.auth];
    case PacketType.CONNECTED:
      return [1, packet.nsp, packet.info];
    case PacketType.CONNECT_ERROR:
      return packet.data === undefined ? [2, packet.nsp, packet.message] : [2, packet.nsp, packet.message, packet.data];
    case PacketType.DISCONNECT:
      return [3, packet.nsp];
    case PacketType.EVENT:
      return packet.id === undefined ? [4, packet.nsp, ...packet.data] : [5, packet.nsp, packet.id, ...packet.data];
    case PacketType.ACK:
      return [6, packet.nsp, packet.id, ...packet.data];
    case PacketType.HEARTBEAT:
      return [7];
    case PacketType.EVENT_AT:
      return [8, packet.nsp, packet.position, ...packet.data];
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

function checkAckId(id: unknown): number {
  if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id > MAX_ACK_ID) {
    throw new ProtocolError(`ack id must be an integer in [0, ${MAX_ACK_ID}]`);
  }
  return id;
}

/** Depth-limited walk: stops as soon as the limit is passed, so it cannot overflow the stack. */
function exceedsDepth(value: unknown, remaining: number): boolean {
  if (typeof value !== "object" || value === null || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    return false;
  }
  if (remaining === 0) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (exceedsDepth(value[i], remaining - 1)) return true;
    return false;
  }
  for (const key in value) {
    if (exceedsDepth((value as Record<string, unknown>)[key], remaining - 1)) return true;
  }
  return false;
}

/**
 * Validates a decoded wire array and turns it into a packet. `allowed` is the set of types the
 * receiving side accepts (FROM_CLIENT on a server, FROM_SERVER on a client).
 */
export function fromWire(
  wire: unknown,
  allowed: ReadonlySet<number>,
  limits: DecodeLimits = DEFAULT_DECODE_LIMITS,
): Packet {
  if (!Array.isArray(wire) || wire.length === 0) throw new ProtocolError("a packet must be a non-empty array");
  const type = wire[0];
  if (typeof type !== "number" || !allowed.has(type)) throw new ProtocolError(`unexpected packet type ${String(type)}`);
  if (type === PacketType.HEARTBEAT) {
    if (wire.length !== 1) throw new ProtocolError("heartbeat carries no fields");
    return { type };
  }
  const nsp = wire[1];
  if (typeof nsp !== "string" || nsp.charCodeAt(0) !== 47 /* "/" */ || nsp.length > limits.maxNamespaceLength) {
    throw new ProtocolError("namespace must be a string starting with '/'");
  }
  switch (type) {
    case PacketType.CONNECT: {
      if (wire.length > 3) throw new ProtocolError("connect has at most an auth payload");
      const auth = wire[2];
      if (auth === undefined || auth === null) return { type, nsp };
      if (!isPlainObject(auth)) throw new ProtocolError("connect auth must be an object");
      if (exceedsDepth(auth, limits.maxDepth)) throw new ProtocolError("payload nested too deeply");
      return { type, nsp, auth };
    }
    case PacketType.CONNECTED: {
      const info = wire[2];
      if (!isPlainObject(info) || typeof info.sid !== "string") throw new ProtocolError("connected needs {sid}");
      return { type, nsp, info: info as never };
    }
    case PacketType.CONNECT_ERROR: {
      const message = wire[2];
      if (typeof message !== "string") throw new ProtocolError("connect error needs a message");
      return wire.length > 3 ? { type, nsp, message, data: wire[3] } : { type, nsp, message };
    }
    case PacketType.DISCONNECT:
      if (wire.length !== 2) throw new ProtocolError("disconnect carries only a namespace");
      return { type, nsp };
    case PacketType.EVENT:
    case PacketType.EVENT_WITH_ACK:
    case PacketType.EVENT_AT: {
      const start = type === PacketType.EVENT ? 2 : 3;
      if (typeof wire[start] !== "string") throw new ProtocolError("event name must be a string");
      const data = wire.slice(start);
      if (exceedsDepth(data, limits.maxDepth + 1)) throw new ProtocolError("payload nested too deeply");
      if (type === PacketType.EVENT) return { type, nsp, data };
      if (type === PacketType.EVENT_AT) {
        if (typeof wire[2] !== "string") throw new ProtocolError("event position must be a string");
        return { type, nsp, data, position: wire[2] };
      }
      return { type: PacketType.EVENT, nsp, data, id: checkAckId(wire[2]) };
    }
    case PacketType.ACK: {
      const id = checkAckId(wire[2]);
      const data = wire.slice(3);
      if (exceedsDepth(data, limits.maxDepth + 1)) throw new ProtocolError("payload nested too deeply");
      return { type, nsp, id, data };
    }
  }
  throw new ProtocolError(`unexpected packet type ${String(type)}`);
}
