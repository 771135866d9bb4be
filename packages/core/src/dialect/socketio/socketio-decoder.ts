import {
  type AckPacket,
  CloseCode,
  type DecodeLimits,
  DEFAULT_DECODE_LIMITS,
  ErrorCode,
  type EventPacket,
  FROM_CLIENT,
  fromWire,
  MAX_ACK_ID,
  type Packet,
  PacketType,
  ProtocolError,
} from "@roomcast/protocol";
import { restoreAttachments } from "./binary-attachments.js";
import { asBuffer } from "./bytes.js";
import { SocketIoPacketType } from "./socketio-packet.js";

/** Limits a `SocketIoDecoder` enforces on what one client sends. */
export interface SocketIoDecoderOptions {
  /** Nesting depth and namespace length, shared with the native dialect. */
  limits?: DecodeLimits;
  /** Most binary attachments one packet may announce. */
  maxAttachments?: number;
}

/* Each attachment is held in memory until the last one arrives: a few cover real use (a file and
   a thumbnail) and bound what a client can make the server buffer to this many messages. */
export const DEFAULT_MAX_ATTACHMENTS = 10;

const DIGIT_ZERO = 0x30;
const DIGIT_NINE = 0x39;
const SLASH = 0x2f;
const COMMA = ",";
const DASH = 0x2d;
/* Enough digits for MAX_ACK_ID and any sane attachment count; a longer run is rejected unread. */
const MAX_DIGITS = String(MAX_ACK_ID).length;

function invalid(why: string): never {
  throw new ProtocolError(why);
}

function isDigit(code: number): boolean {
  return code >= DIGIT_ZERO && code <= DIGIT_NINE;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function hasKeys(value: object): boolean {
  for (const _ in value) return true;
  return false;
}

function parsePayload(text: string): unknown {
  try {
    // V8 parses without recursion, so a deeply nested payload cannot overflow the stack here
    return JSON.parse(text);
  } catch {
    throw new ProtocolError("packet payload is not valid JSON", ErrorCode.INVALID_PAYLOAD, CloseCode.INVALID_PAYLOAD);
  }
}

/** A binary packet whose text has arrived, waiting for its attachments. */
interface PendingPacket {
  packet: EventPacket | AckPacket;
  expected: number;
  attachments: Buffer[];
}

/**
 * Decodes what one Socket.IO v5 client sends (Socket.IO protocol v5, "Packet encoding") into
 * roomcast packets. Give it the data of each Engine.IO message, in order: a string for a text
 * message, bytes for a binary one. One decoder per connection, since a binary packet is a text
 * message followed by its attachments as binary messages.
 *
 * - CONNECT `0[/nsp,][{…}]` → CONNECT; the object is `auth`, except that string `pid` and
 *   `offset` (sent by Socket.IO 4.6+ clients to recover their session) are taken out of it and
 *   become `resume: { pid, position: offset }`.
 * - DISCONNECT `1[/nsp,]` → DISCONNECT.
 * - EVENT `2[/nsp,][id]["name",…]` and BINARY_EVENT `5<n>-…` → EVENT (`id` when an ack is asked).
 * - ACK `3[/nsp,]<id>[…]` and BINARY_ACK `6<n>-…` → ACK.
 *
 * Binary attachments come back as Buffers where their placeholders were. Depth, namespace length
 * and ack ids are validated by `fromWire`, exactly as for the native dialect.
 *
 * ```ts
 * const decoder = new SocketIoDecoder();
 * decoder.add('451-["upload",{"_placeholder":true,"num":0}]'); // undefined: attachment awaited
 * decoder.add(bytes); // { type: PacketType.EVENT, nsp: "/", data: ["upload", <Buffer>] }
 * ```
 *
 * Every error is a ProtocolError after which the connection should close; the decoder drops any
 * partial packet, so it never holds attachments for a packet that failed.
 */
export class SocketIoDecoder {
  private readonly limits: DecodeLimits;
  private readonly maxAttachments: number;
  private pending: PendingPacket | undefined;

  constructor(options: SocketIoDecoderOptions = {}) {
    this.limits = options.limits ?? DEFAULT_DECODE_LIMITS;
    this.maxAttachments = options.maxAttachments ?? DEFAULT_MAX_ATTACHMENTS;
  }

  /** How many attachments the packet being received still waits for (0 between packets). */
  get awaitedAttachments(): number {
    return this.pending === undefined ? 0 : this.pending.expected - this.pending.attachments.length;
  }

  /**
   * Takes the data of one Engine.IO message and returns the packet it completes, or `undefined`
   * while a binary packet still waits for attachments.
   *
   * @throws ProtocolError
   *   - `ERR_INVALID_PACKET` (close 1002): empty text, unknown type, CONNECT_ERROR (servers send
   *     it, clients do not), a binary count without `-`, a namespace longer than
   *     `limits.maxNamespaceLength`, an ack id above MAX_ACK_ID or where none belongs (CONNECT,
   *     DISCONNECT) or missing (ACK), a CONNECT payload that is not an object (invalid handshake),
   *     a payload on DISCONNECT, an EVENT payload that is not a non-empty array starting with a
   *     string, an ACK payload that is not an array, nesting deeper than `limits.maxDepth`, an
   *     over-long `pid`/`offset`, a binary message when no attachment is awaited, a text message
   *     while one is, a placeholder whose `num` is not an index of an attachment;
   *   - `ERR_INVALID_PAYLOAD` (close 1007): a payload that is not valid JSON;
   *   - `ERR_TOO_MANY_ATTACHMENTS` (close 4004): a binary packet announcing more than
   *     `maxAttachments` attachments.
   */
  add(message: string | Uint8Array): Packet | undefined {
    if (typeof message !== "string") return this.addAttachment(asBuffer(message));
    if (this.pending !== undefined) {
      const awaited = this.awaitedAttachments;
      this.pending = undefined;
      invalid(`text message while ${awaited} binary attachment(s) are awaited`);
    }
    return this.decodeText(message);
  }

  /** Drops a partly received binary packet, e.g. when its transport closes. */
  reset(): void {
    this.pending = undefined;
  }

  private addAttachment(bytes: Buffer): Packet | undefined {
    const pending = this.pending;
    if (pending === undefined) return invalid("binary message when no attachment is awaited");
    pending.attachments.push(bytes);
    if (pending.attachments.length < pending.expected) return undefined;
    this.pending = undefined;
    restoreAttachments(pending.packet.data, pending.attachments, this.limits.maxDepth + 1);
    return pending.packet;
  }

  private decodeText(text: string): Packet | undefined {
    const length = text.length;
    const type = text.charCodeAt(0) - DIGIT_ZERO; // NaN for "", rejected below
    if (!(type >= SocketIoPacketType.CONNECT && type <= SocketIoPacketType.BINARY_ACK)) {
      return invalid(length === 0 ? "empty Socket.IO packet" : "unknown Socket.IO packet type");
    }
    if (type === SocketIoPacketType.CONNECT_ERROR) invalid("CONNECT_ERROR is sent by servers only");
    const binary = type === SocketIoPacketType.BINARY_EVENT || type === SocketIoPacketType.BINARY_ACK;
    let i = 1;

    let attachmentCount = 0;
    if (binary) {
      const start = i;
      while (i < length && i - start < MAX_DIGITS && isDigit(text.charCodeAt(i))) i++;
      if (i === start || text.charCodeAt(i) !== DASH) invalid("binary packet must announce its attachments as '<count>-'");
      attachmentCount = Number(text.slice(start, i));
      if (attachmentCount > this.maxAttachments) {
        throw new ProtocolError(
          `a packet may carry at most ${this.maxAttachments} binary attachments`,
          ErrorCode.TOO_MANY_ATTACHMENTS,
          CloseCode.LIMIT_EXCEEDED,
        );
      }
      i++;
    }

    let nsp = "/";
    if (text.charCodeAt(i) === SLASH) {
      // the comma is optional when nothing follows the namespace ("40/admin")
      let end = text.indexOf(COMMA, i);
      if (end === -1) end = length;
      if (end - i > this.limits.maxNamespaceLength) invalid(`namespace longer than ${this.limits.maxNamespaceLength} characters`);
      nsp = text.slice(i, end);
      i = end + 1;
    }

    let id: number | undefined;
    const idStart = i;
    while (i < length && isDigit(text.charCodeAt(i))) {
      if (i - idStart === MAX_DIGITS) invalid(`ack id must be an integer in [0, ${MAX_ACK_ID}]`);
      i++;
    }
    if (i > idStart) id = Number(text.slice(idStart, i)); // fromWire checks the range

    const payload = i < length ? parsePayload(text.slice(i)) : undefined;

    switch (type) {
      case SocketIoPacketType.CONNECT:
        if (id !== undefined) invalid("CONNECT carries no ack id");
        return this.connect(nsp, payload);
      case SocketIoPacketType.DISCONNECT:
        if (id !== undefined || payload !== undefined) invalid("DISCONNECT carries only a namespace");
        return fromWire([PacketType.DISCONNECT, nsp], FROM_CLIENT, this.limits);
    }

    if (!Array.isArray(payload)) return invalid("EVENT and ACK payloads must be arrays");
    // Validated as the native wire array, so both dialects accept exactly the same packets.
    // unshift is shallow: nothing recurses into the payload before fromWire has bounded its depth.
    if (type === SocketIoPacketType.ACK || type === SocketIoPacketType.BINARY_ACK) {
      if (id === undefined) invalid("ACK needs an ack id");
      payload.unshift(PacketType.ACK, nsp, id);
    } else if (id === undefined) {
      payload.unshift(PacketType.EVENT, nsp);
    } else {
      payload.unshift(PacketType.EVENT_WITH_ACK, nsp, id);
    }
    const packet = fromWire(payload, FROM_CLIENT, this.limits) as EventPacket | AckPacket;
    if (!binary) return packet;
    if (attachmentCount === 0) {
      restoreAttachments(packet.data, [], this.limits.maxDepth + 1); // rejects any placeholder: there is nothing to point at
      return packet;
    }
    this.pending = { packet, expected: attachmentCount, attachments: [] };
    return undefined;
  }

  /** CONNECT: the payload, when present, must be an object (Socket.IO protocol v5, "Connection to a namespace"). */
  private connect(nsp: string, payload: unknown): Packet {
    if (payload === undefined) return fromWire([PacketType.CONNECT, nsp], FROM_CLIENT, this.limits);
    if (!isObject(payload)) return invalid("invalid handshake: the CONNECT payload must be an object");
    const { pid, offset } = payload;
    if (typeof pid !== "string" || typeof offset !== "string") {
      return fromWire([PacketType.CONNECT, nsp, payload], FROM_CLIENT, this.limits);
    }
    const { pid: _pid, offset: _offset, ...auth } = payload;
    // fromWire checks the resume fields' length and the auth object's depth
    return fromWire([PacketType.CONNECT, nsp, hasKeys(auth) ? auth : undefined, { pid, position: offset }], FROM_CLIENT, this.limits);
  }
}
