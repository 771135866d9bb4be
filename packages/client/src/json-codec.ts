import { type ClientPacket, clientPacketToWire, type Codec, decodeServerJson, JSON_SUBPROTOCOL, stringifyJsonFrame } from "@roomcast/protocol";

/**
 * The JSON codec as a client uses it: the same frames as `jsonCodec` from "@roomcast/protocol",
 * but `encode` knows only the packets a client sends and `decode` reads only what a server sends
 * (the argument `allowed` is always FROM_SERVER here), through `decodeServerJson` instead of the
 * full validator the server needs. Both keep the server's side out of browser bundles.
 */
export const clientJsonCodec: Codec = {
  name: "json",
  subprotocol: JSON_SUBPROTOCOL,
  binary: false,
  encode: (packet) => stringifyJsonFrame(clientPacketToWire(packet as ClientPacket)),
  decode: (data, _allowed, limits) => decodeServerJson(data, limits),
};
