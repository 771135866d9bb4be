import type { Codec, Packet } from "@roomcast/protocol";

/** Opcodes of RFC 6455 data frames with FIN set. */
const FIN_TEXT = 0x81;
const FIN_BINARY = 0x82;

/** Builds an unmasked, final, uncompressed server-to-client frame: header and payload in one buffer. */
export function buildFrame(payload: Buffer, binary: boolean): Buffer {
  const length = payload.length;
  const headerLength = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = binary ? FIN_BINARY : FIN_TEXT;
  if (length < 126) {
    frame[1] = length;
  } else if (length < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 0x1_0000_0000), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  payload.copy(frame, headerLength);
  return frame;
}

function toBuffer(encoded: string | Uint8Array): Buffer {
  return typeof encoded === "string"
    ? Buffer.from(encoded)
    : Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
}

/**
 * A packet on its way to one or many sockets. It encodes at most once per codec and builds the
 * WebSocket frame at most once per codec, so every recipient of a broadcast gets the same bytes.
 */
export class OutgoingPacket {
  private jsonPayload: Buffer | undefined;
  private jsonFrame: Buffer | undefined;
  private msgpackPayload: Buffer | undefined;
  private msgpackFrame: Buffer | undefined;

  constructor(readonly packet: Packet) {}

  /** The encoded payload (without frame header), for connections that must go through `ws.send`. */
  payload(codec: Codec): Buffer {
    if (codec.binary) return (this.msgpackPayload ??= toBuffer(codec.encode(this.packet)));
    return (this.jsonPayload ??= toBuffer(codec.encode(this.packet)));
  }

  /** The complete frame, ready to be written to the TCP socket as is. */
  frame(codec: Codec): Buffer {
    if (codec.binary) return (this.msgpackFrame ??= buildFrame(this.payload(codec), true));
    return (this.jsonFrame ??= buildFrame(this.payload(codec), false));
  }
}
