import { Packr } from "msgpackr";
import type { Codec } from "./codec.js";
import { CloseCode, ErrorCode, ProtocolError } from "./errors.js";
import type { Packet } from "./packet.js";
import { scanMsgpackFrame } from "./msgpack-scan.js";
import { Subprotocol } from "./subprotocol.js";
import { DEFAULT_DECODE_LIMITS, fromWire, toWire } from "./wire.js";

/*
 * Plain msgpack, so any msgpack library can speak it: no records/structures extension, maps
 * decode to plain objects, and 64-bit integers decode to numbers.
 */
const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: "number", moreTypes: false });

function decodeMsgpack(data: string | Uint8Array, allowed: ReadonlySet<number>, limits = DEFAULT_DECODE_LIMITS): Packet {
  if (typeof data === "string") {
    throw new ProtocolError("the msgpack subprotocol uses binary frames", ErrorCode.UNSUPPORTED_DATA, CloseCode.UNSUPPORTED_DATA);
  }
  // Before msgpackr, which recurses once per container: the packet's own array plus arguments
  // nested maxDepth deep, the bound fromWire applies to the decoded arguments.
  scanMsgpackFrame(data, limits.maxDepth + 1);
  let wire: unknown;
  try {
    wire = packr.unpack(data);
  } catch {
    throw new ProtocolError("frame is not valid msgpack", ErrorCode.INVALID_PAYLOAD, CloseCode.INVALID_PAYLOAD);
  }
  return fromWire(wire, allowed, limits);
}

export const msgpackCodec: Codec = {
  name: "msgpack",
  subprotocol: Subprotocol.MSGPACK,
  binary: true,
  encode: (packet: Packet) => packr.pack(toWire(packet)),
  decode: decodeMsgpack,
};
