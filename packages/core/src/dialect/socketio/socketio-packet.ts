import { ErrorCode, type Packet, PacketType } from "@roomcast/protocol";
import { extractAttachments, hasBinary } from "./binary-attachments.js";

/** Socket.IO protocol v5 packet types: the first character of a packet's text. */
export const SocketIoPacketType = {
  CONNECT: 0,
  DISCONNECT: 1,
  EVENT: 2,
  ACK: 3,
  CONNECT_ERROR: 4,
  BINARY_EVENT: 5,
  BINARY_ACK: 6,
} as const;
export type SocketIoPacketType = (typeof SocketIoPacketType)[keyof typeof SocketIoPacketType];

/**
 * One Socket.IO packet as it leaves the server: `text` goes in an Engine.IO message (prefix it
 * with `"4"`), then each attachment in an Engine.IO binary message of its own, in order.
 */
export interface EncodedSocketIoPacket {
  readonly text: string;
  readonly attachments: readonly Buffer[];
}

/* Shared by every packet without binary, so the common case allocates no array. */
const NO_ATTACHMENTS: readonly Buffer[] = Object.freeze([]);

/* The main namespace is implied; any other is written before a comma (Socket.IO protocol v5, "Format"). */
function namespacePrefix(nsp: string): string {
  return nsp === "/" ? "" : nsp + ",";
}

function textOnly(text: string): EncodedSocketIoPacket {
  return { text, attachments: NO_ATTACHMENTS };
}

/**
 * True for the `data` roomcast adds when it refuses an unknown namespace (`{code}` for its own
 * clients). Socket.IO v5 refuses one with exactly `{"message":"Invalid namespace"}`, which its
 * protocol test suite compares byte for byte, so this dialect leaves that `data` out.
 */
function isUnknownNamespace(data: unknown): boolean {
  if (typeof data !== "object" || data === null) return false;
  const keys = Object.keys(data);
  return keys.length === 1 && (data as { code?: unknown }).code === ErrorCode.UNKNOWN_NAMESPACE;
}

/**
 * `<type>[<count>-][<nsp>,][<id>]<JSON array>`: EVENT/ACK, or BINARY_EVENT/BINARY_ACK when `data`
 * holds binary values. `position`, when given, is appended as the last argument.
 */
function encodeArguments(
  textType: number,
  binaryType: number,
  nsp: string,
  id: number | undefined,
  data: unknown[],
  position: string | undefined,
): EncodedSocketIoPacket {
  const head = namespacePrefix(nsp) + (id === undefined ? "" : id);
  if (hasBinary(data)) {
    const attachments: Buffer[] = [];
    const args = extractAttachments(data, attachments) as unknown[];
    if (position !== undefined) args.push(position);
    // a binary value only reachable through inherited keys is not serialized: plain packet then
    if (attachments.length > 0) {
      return { text: binaryType + `${attachments.length}-` + head + JSON.stringify(args), attachments };
    }
  }
  const json = JSON.stringify(data);
  if (position === undefined) return textOnly(textType + head + json);
  // splice the position into the array text rather than copying `data` to append it
  const last = JSON.stringify(position);
  return textOnly(textType + head + (json.length === 2 ? `[${last}]` : `${json.slice(0, -1)},${last}]`));
}

/**
 * Encodes a packet in Socket.IO protocol v5 (the default parser's text format, see "Packet
 * encoding" in the spec). Pure: the result depends on the packet only, so a broadcast encodes
 * once and every Socket.IO recipient gets the same text and attachments.
 *
 * - CONNECTED → CONNECT `0[/nsp,]{"sid":…[,"pid":…]}` (`pid` only when `info.pid` is set: a
 *   Socket.IO client treats the session as recovered when the pid it presented comes back).
 * - CONNECT_ERROR → `4[/nsp,]{"message":…[,"data":…]}`; an unknown namespace's refusal without
 *   the `{code}` data roomcast's own dialect carries.
 * - DISCONNECT → `1[/nsp,]` (just `1` for the main namespace).
 * - EVENT → `2[/nsp,][id]["name",…]`, or BINARY_EVENT `5<n>-[/nsp,][id][…]` with
 *   `{"_placeholder":true,"num":i}` in place of each binary value (Buffer, ArrayBuffer, any
 *   ArrayBuffer view) and the bytes in `attachments`.
 * - ACK → `3[/nsp,]<id>[…]`, or BINARY_ACK `6<n>-…` likewise.
 * - EVENT_AT → an EVENT with `position` appended as the last argument: Socket.IO 4.6+ clients
 *   keep the last string argument of each event as their recovery offset.
 * - CONNECT → `0[/nsp,][{…auth, "pid", "offset"}]`, the client's side of the handshake.
 *
 * ```ts
 * encodeSocketIoPacket({ type: PacketType.EVENT, nsp: "/admin", data: ["bar"], id: 13 });
 * // { text: '2/admin,13["bar"]', attachments: [] }
 * ```
 *
 * @throws TypeError for HEARTBEAT, which has no Socket.IO form: liveness is Engine.IO's
 *   ping/pong. Also whatever JSON.stringify throws for the application's data (cycles, BigInt).
 */
export function encodeSocketIoPacket(packet: Packet): EncodedSocketIoPacket {
  switch (packet.type) {
    case PacketType.EVENT:
      return encodeArguments(SocketIoPacketType.EVENT, SocketIoPacketType.BINARY_EVENT, packet.nsp, packet.id, packet.data, undefined);
    case PacketType.EVENT_AT:
      return encodeArguments(SocketIoPacketType.EVENT, SocketIoPacketType.BINARY_EVENT, packet.nsp, undefined, packet.data, packet.position);
    case PacketType.ACK:
      return encodeArguments(SocketIoPacketType.ACK, SocketIoPacketType.BINARY_ACK, packet.nsp, packet.id, packet.data, undefined);
    case PacketType.CONNECTED: {
      const { sid, pid } = packet.info;
      const body = pid === undefined ? { sid } : { sid, pid };
      return textOnly(SocketIoPacketType.CONNECT + namespacePrefix(packet.nsp) + JSON.stringify(body));
    }
    case PacketType.CONNECT_ERROR: {
      // JSON.stringify leaves `data` out when it is undefined, as Socket.IO servers do
      const body = { message: packet.message, data: isUnknownNamespace(packet.data) ? undefined : packet.data };
      return textOnly(SocketIoPacketType.CONNECT_ERROR + namespacePrefix(packet.nsp) + JSON.stringify(body));
    }
    case PacketType.DISCONNECT:
      return textOnly(SocketIoPacketType.DISCONNECT + namespacePrefix(packet.nsp));
    case PacketType.CONNECT: {
      const { resume, auth } = packet;
      const body = resume === undefined ? auth : { ...auth, pid: resume.pid, offset: resume.position };
      return textOnly(SocketIoPacketType.CONNECT + namespacePrefix(packet.nsp) + (body === undefined ? "" : JSON.stringify(body)));
    }
    case PacketType.HEARTBEAT:
      throw new TypeError("HEARTBEAT has no Socket.IO v5 form; Engine.IO ping/pong carries liveness");
  }
}
