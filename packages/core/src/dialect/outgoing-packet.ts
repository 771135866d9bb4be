import type { Codec, Packet } from "@roomcast/protocol";
import { encodeSocketIoPacket, type EncodedSocketIoPacket } from "./socketio/socketio-packet.js";

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
export function buildTextFrame(text: string, binary: boolean): Buffer {
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

/* Engine.IO v4: a message packet is "4" and its data; binary messages travel as "b" + base64 in a polling payload. */
const ENGINE_MESSAGE = "4";
const RECORD_SEPARATOR = "\x1e";

/**
 * A packet on its way to one or many sockets. It encodes at most once per dialect and codec and
 * builds the WebSocket frames at most once, so every recipient of a broadcast gets the same bytes.
 */
export class OutgoingPacket {
  private jsonPayload: Buffer | undefined;
  private jsonFrame: Buffer | undefined;
  private msgpackPayload: Buffer | undefined;
  private msgpackFrame: Buffer | undefined;
  private socketIoEncoded: EncodedSocketIoPacket | undefined;
  private socketIoFrameBytes: Buffer | undefined;
  private socketIoPolling: string | undefined;

  constructor(readonly packet: Packet) {}

  /** The Socket.IO v5 encoding: the text of its Engine.IO message (without the "4") and its attachments. */
  socketIo(): EncodedSocketIoPacket {
    return (this.socketIoEncoded ??= encodeSocketIoPacket(this.packet));
  }

  /**
   * Socket.IO over an Engine.IO WebSocket: a text frame "4<packet>" then one binary frame per
   * attachment, back to back in one buffer ready for the TCP socket.
   */
  socketIoFrames(): Buffer {
    if (this.socketIoFrameBytes !== undefined) return this.socketIoFrameBytes;
    const encoded = this.socketIo();
    const text = buildTextFrame(ENGINE_MESSAGE + encoded.text, false);
    if (encoded.attachments.length === 0) return (this.socketIoFrameBytes = text);
    const frames = [text];
    for (const attachment of encoded.attachments) frames.push(buildFrame(attachment, true));
    return (this.socketIoFrameBytes = Buffer.concat(frames));
  }

  /** The same packet as Engine.IO packets of a polling payload, separated by the record separator. */
  socketIoPollingText(): string {
    if (this.socketIoPolling !== undefined) return this.socketIoPolling;
    const encoded = this.socketIo();
    let text = ENGINE_MESSAGE + encoded.text;
    for (const attachment of encoded.attachments) text += RECORD_SEPARATOR + "b" + attachment.toString("base64");
    return (this.socketIoPolling = text);
  }

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
