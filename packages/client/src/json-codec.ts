import { type Codec, decodeServerJson, stringifyJsonFrame, Subprotocol, toWire } from "@roomcast/protocol";

/**
 * The JSON codec as a client uses it: the same frames as `jsonCodec` from "@roomcast/protocol",
 * but `decode` reads only what a server sends (the argument `allowed` is always FROM_SERVER
 * here), through `decodeServerJson` instead of the full validator the server needs.
 */
export const clientJsonCodec: Codec = {
  name: "json",
  subprotocol: Subprotocol.JSON,
  binary: false,
  encode: (packet) => stringifyJsonFrame(toWire(packet)),
  decode: (data, _allowed, limits) => decodeServerJson(data, limits),
};
