import type { Codec } from "./codec.js";
import { parseJsonFrame, stringifyJsonFrame } from "./json-frame.js";
import type { Packet } from "./packet.js";
import { Subprotocol } from "./subprotocol.js";
import { DEFAULT_DECODE_LIMITS, fromWire, toWire } from "./wire.js";

/** Text frames; binary values travel as `{"$bin":"<base64>"}` (see json-frame.ts). */
export const jsonCodec: Codec = {
  name: "json",
  subprotocol: Subprotocol.JSON,
  binary: false,
  encode: (packet: Packet) => stringifyJsonFrame(toWire(packet)),
  decode: (data, allowed, limits = DEFAULT_DECODE_LIMITS) => fromWire(parseJsonFrame(data), allowed, limits),
};
