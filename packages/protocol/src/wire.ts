import { ProtocolError } from "./errors.js";
import {
  type ConnectedInfo,
  type ConnectedPacket,
  type ConnectErrorPacket,
  type ConnectPacket,
  type EventAtPacket,
  MAX_ACK_ID,
  MAX_RESUME_FIELD_LENGTH,
  type Packet,
  PacketType,
} from "./packet.js";

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

/*
 * Packet types each side may receive; anything else from that peer is a protocol error.
 * Plain numbers (the PacketType values named alongside), not PacketType.X: property reads could
 * have side effects as far as a bundler knows, and would keep both sets in every bundle.
 */
export const FROM_CLIENT: ReadonlySet<number> = /* @__PURE__ */ new Set([
  0, // CONNECT
  3, // DISCONNECT
  4, // EVENT
  5, // EVENT_WITH_ACK
  6, // ACK
  7, // HEARTBEAT
  9, // EVENT_ONCE
]);
export const FROM_SERVER: ReadonlySet<number> = /* @__PURE__ */ new Set([
  1, // CONNECTED
  2, // CONNECT_ERROR
  3, // DISCONNECT
  4, // EVENT
  5, // EVENT_WITH_ACK
  6, // ACK
  7, // HEARTBEAT
  8, // EVENT_AT
]);

/** The packets a client sends; a server sends CONNECTED, CONNECT_ERROR and EVENT_AT as well. */
export type ClientPacket = Exclude<Packet, ConnectedPacket | ConnectErrorPacket | EventAtPacket>;

/**
 * Turns a packet a client sends into its wire array (see docs/PROTOCOL.md): what {@link toWire}
 * does for these types, apart so that a client's bundle leaves out the server's packet types.
 * Type numbers as literals, as above.
 */
export function clientPacketToWire(packet: ClientPacket): unknown[] {
  switch (packet.type) {
    case 0: // CONNECT
      // resume is its own element, so user auth keys can never collide with it
      if (packet.resume !== undefined) return [0, packet.nsp, packet.auth ?? null, packet.resume];
      return packet.auth === undefined ? [0, packet.nsp] : [0, packet.nsp, packet.auth];
    case 3: // DISCONNECT
      return [3, packet.nsp];
    case 4: // EVENT, EVENT_WITH_ACK or EVENT_ONCE
      return packet.id === undefined ? [4, packet.nsp, ...packet.data] : [packet.once ? 9 : 5, packet.nsp, packet.id, ...packet.data];
    case 6: // ACK
      return [6, packet.nsp, packet.id, ...packet.data];
    case 7: // HEARTBEAT
      return [7];
  }
}

/** Turns a packet into its wire array (see docs/PROTOCOL.md). Type numbers as literals, as above. */
export function toWire(packet: Packet): unknown[] {
  switch (packet.type) {
    case 1: // CONNECTED
      return [1, packet.nsp, packet.info];
    case 2: // CONNECT_ERROR
      return packet.data === undefined ? [2, packet.nsp, packet.message] : [2, packet.nsp, packet.message, packet.data];
    case 8: // EVENT_AT
      return [8, packet.nsp, packet.position, ...packet.data];
  }
  return clientPacketToWire(packet);
}

/** @internal shared with decode-server-packet.ts */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

function isResumeField(value: unknown): value is string {
  return typeof value === "string" && value.length <= MAX_RESUME_FIELD_LENGTH;
}

/* Every malformed packet gets the same error code and close code (1002); the message says why. */
function invalid(why: string): never {
  throw new ProtocolError(why);
}

/** Depth-limited walk: stops as soon as the limit is passed, so it cannot overflow the stack. */
export function exceedsDepth(value: unknown, remaining: number): boolean {
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
  if (!Array.isArray(wire)) return invalid("a packet must be an array");
  // the sets hold only known type numbers, so this also rejects [] and non-numeric types
  const type = wire[0] as PacketType;
  if (!allowed.has(type)) invalid("unexpected packet type");
  if (type === PacketType.HEARTBEAT) {
    if (wire.length > 1) invalid("heartbeat carries no fields");
    return { type };
  }
  const nsp = wire[1];
  if (typeof nsp !== "string" || nsp[0] !== "/" || nsp.length > limits.maxNamespaceLength) {
    return invalid("namespace must be a string starting with '/'");
  }
  const third = wire[2];
  switch (type) {
    case PacketType.CONNECT: {
      if (wire.length > 4) invalid("connect has at most an auth payload and a resume request");
      const packet: ConnectPacket = { type, nsp };
      if (third !== undefined && third !== null) {
        if (!isPlainObject(third)) invalid("connect auth must be an object");
        if (exceedsDepth(third, limits.maxDepth)) invalid("payload nested too deeply");
        packet.auth = third;
      }
      const resume = wire[3];
      if (resume !== undefined) {
        if (!isPlainObject(resume) || !isResumeField(resume.pid) || !isResumeField(resume.position)) {
          invalid(`connect resume needs {pid, position}: strings of at most ${MAX_RESUME_FIELD_LENGTH} characters`);
        }
        packet.resume = { pid: resume.pid, position: resume.position };
      }
      return packet;
    }
    case PacketType.CONNECTED:
      if (!isPlainObject(third) || typeof third.sid !== "string") invalid("connected needs {sid}");
      return { type, nsp, info: third as ConnectedInfo };
    case PacketType.CONNECT_ERROR:
      if (typeof third !== "string") invalid("connect error needs a message");
      return wire.length > 3 ? { type, nsp, message: third, data: wire[3] } : { type, nsp, message: third };
    case PacketType.DISCONNECT:
      if (wire.length > 2) invalid("disconnect carries only a namespace");
      return { type, nsp };
  }
  // EVENT [4,nsp,ev,...], EVENT_WITH_ACK [5,nsp,id,ev,...], ACK [6,nsp,id,...], EVENT_AT [8,nsp,position,ev,...],
  // EVENT_ONCE [9,nsp,id,ev,...]
  const data = wire.slice(type === PacketType.EVENT ? 2 : 3);
  if (type !== PacketType.ACK && typeof data[0] !== "string") invalid("event name must be a string");
  if (exceedsDepth(data, limits.maxDepth + 1)) invalid("payload nested too deeply");
  if (type === PacketType.EVENT) return { type, nsp, data };
  if (type === PacketType.EVENT_AT) {
    if (typeof third !== "string") invalid("event position must be a string");
    return { type, nsp, data, position: third };
  }
  if (typeof third !== "number" || !Number.isInteger(third) || third < 0 || third > MAX_ACK_ID) {
    invalid(`ack id must be an integer in [0, ${MAX_ACK_ID}]`);
  }
  if (type === PacketType.ACK) return { type, nsp, id: third, data };
  return type === PacketType.EVENT_ONCE ? { type: PacketType.EVENT, nsp, data, id: third, once: true } : { type: PacketType.EVENT, nsp, data, id: third };
}
