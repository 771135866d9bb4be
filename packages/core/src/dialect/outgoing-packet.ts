import type { Codec, Packet } from "@roomcast/protocol";

/** Opcodes of RFC 6455 data frames with FIN set. */
const FIN_TEXT = 0x81;
const FIN_BINARY = 0x82;

function headerLengthFor(payloadLength: number): number {
  return payloadLength < 126 ? 2 : payloadLength < 65536 ? 4 : 10;
}

/** Writes the header of a `length`-byte payload at the start of `frame`. */
function writeHeader(frame: Buffer, length: number, binary: boolean): void {
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
}

/** Builds an unmasked, final, uncompressed server-to-client frame: header and payload in one buffer. */
export function buildFrame(payload: Uint8Array, binary: boolean): Buffer {
  const length = payload.length;
  const headerLength = headerLengthFor(length);
  const frame = Buffer.allocUnsafe(headerLength + length);
  writeHeader(frame, length, binary);
  frame.set(payload, headerLength);
  return frame;
}

/** Same for a text payload: UTF-8 encoded straight into the frame (one allocation, no copy). */
function buildTextFrame(text: string, binary: boolean): Buffer {
  const length = Buffer.byteLength(text);
  const headerLength = headerLengthFor(length);
  const frame = Buffer.allocUnsafe(headerLength + length);
  writeHeader(frame, length, binary);
  frame.write(text, headerLength);
  return frame;
}

/** The payload of a frame built above, without copying it. */
function payloadOf(frame: Buffer): Buffer {
  const marker = frame[1];
  return frame.subarray(marker < 126 ? 2 : marker === 126 ? 4 : 10);
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
    if (codec.binary) return (this.msgpackPayload ??= this.encodePayload(codec, this.msgpackFrame));
    return (this.jsonPayload ??= this.encodePayload(codec, this.jsonFrame));
  }

  /** The complete frame, ready to be written to the TCP socket as is. */
  frame(codec: Codec): Buffer {
    if (codec.binary) return (this.msgpackFrame ??= this.encodeFrame(codec, this.msgpackPayload));
    return (this.jsonFrame ??= this.encodeFrame(codec, this.jsonPayload));
  }

  private encodePayload(codec: Codec, frame: Buffer | undefined): Buffer {
    return frame !== undefined ? payloadOf(frame) : toBuffer(codec.encode(this.packet));
  }

  /*
   * Most packets only ever need the frame (no permessage-deflate connection among the
   * recipients): it is built straight from the encoder's output, and the payload is not kept.
   */
  private encodeFrame(codec: Codec, payload: Buffer | undefined): Buffer {
    if (payload !== undefined) return buildFrame(payload, codec.binary);
    const encoded = codec.encode(this.packet);
    return typeof encoded === "string" ? buildTextFrame(encoded, codec.binary) : buildFrame(encoded, codec.binary);
  }
}
