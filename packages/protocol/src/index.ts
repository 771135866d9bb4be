export * from "./packet.js";
export * from "./errors.js";
export * from "./subprotocol.js";
export type { Codec } from "./codec.js";
export { jsonCodec } from "./json-codec.js";
export { parseJsonFrame, stringifyJsonFrame } from "./json-frame.js";
export { decodeServerJson, decodeServerPacket } from "./decode-server-packet.js";
export { toWire, clientPacketToWire, type ClientPacket, fromWire, FROM_CLIENT, FROM_SERVER, DEFAULT_DECODE_LIMITS, type DecodeLimits } from "./wire.js";
export { bytesToBase64, base64ToBytes } from "./base64.js";
