/*
 * The Socket.IO dialect's codecs: Engine.IO protocol v4 framing and Socket.IO protocol v5 packets.
 * Pure functions and one stateful decoder per connection; no sockets, timers or HTTP.
 */
export {
  decodeEnginePacket,
  decodeEngineText,
  encodeEnginePacket,
  type EngineControlPacket,
  type EngineMessagePacket,
  type EnginePacket,
  EnginePacketType,
} from "./engine-packet.js";
export { decodePollingPayload, DEFAULT_POLLING_LIMITS, encodePollingPayload, type PollingLimits } from "./polling-payload.js";
export { type EncodedSocketIoPacket, encodeSocketIoPacket, SocketIoPacketType } from "./socketio-packet.js";
export { DEFAULT_MAX_ATTACHMENTS, SocketIoDecoder, type SocketIoDecoderOptions } from "./socketio-decoder.js";
