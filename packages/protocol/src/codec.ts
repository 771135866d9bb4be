import type { DecodeLimits } from "./wire.js";
import type { Packet } from "./packet.js";

/**
 * Turns packets into frame payloads and back. One codec per connection, negotiated through
 * `Sec-WebSocket-Protocol`. `binary` says which WebSocket frame type the codec uses.
 */
export interface Codec {
  readonly name: "json" | "msgpack";
  readonly subprotocol: string;
  readonly binary: boolean;
  encode(packet: Packet): string | Uint8Array;
  /**
   * Decodes one frame. `allowed` lists the packet types the receiving side accepts.
   * Throws ProtocolError (with a close code) on anything that is not a valid packet.
   */
  decode(data: string | Uint8Array, allowed: ReadonlySet<number>, limits?: DecodeLimits): Packet;
}
