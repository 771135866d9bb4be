import { FROM_CLIENT, type Codec, type Packet, PacketType, ProtocolError } from "@roomcast/protocol";
import type { WebSocketListener, WebSocketTransport } from "../../transport/websocket-transport.js";
import type { DisconnectReason } from "../../types.js";
import { OutgoingPacket } from "../outgoing-packet.js";
import type { Wire, WireListener } from "../wire.js";

const HEARTBEAT = new OutgoingPacket({ type: PacketType.HEARTBEAT });

/**
 * roomcast's own dialect (docs/PROTOCOL.md): one packet per WebSocket frame, in the codec the
 * client negotiated with `Sec-WebSocket-Protocol` (`roomcast.v1.json` text frames or
 * `roomcast.v1.msgpack` binary frames).
 */
export class RoomcastWire implements Wire, WebSocketListener {
  readonly dialect = "roomcast";
  readonly transportName = "websocket";
  private listener: WireListener | undefined;
  private closeReason: DisconnectReason | undefined;

  constructor(
    private readonly transport: WebSocketTransport,
    /** The negotiated codec. */
    readonly codec: Codec,
  ) {
    transport.listener = this;
  }

  get protocol(): string {
    return this.transport.ws.protocol;
  }

  get deflate(): boolean {
    return this.transport.deflate;
  }

  get bufferedAmount(): number {
    return this.transport.bufferedAmount;
  }

  attach(listener: WireListener): void {
    this.listener = listener;
  }

  buffered(): number {
    return this.transport.buffered();
  }

  stalledBytes(): number {
    return this.transport.stalledBytes();
  }

  encodedLength(packet: OutgoingPacket): number {
    return this.transport.deflate ? packet.payload(this.codec).length : packet.frame(this.codec).length;
  }

  write(packet: OutgoingPacket, compress: boolean): void {
    const transport = this.transport;
    if (transport.deflate) {
      const payload = packet.payload(this.codec);
      transport.sendPayload(payload, this.codec.binary, compress);
      this.listener?._onwritten(1, payload.length);
    } else {
      transport.queueFrames(packet.frame(this.codec));
    }
  }

  ping(): void {
    this.write(HEARTBEAT, false);
  }

  close(code: number, message: string): void {
    this.transport.close(code, message);
  }

  terminate(): void {
    this.transport.terminate();
  }

  discard(): void {
    this.transport.discard();
  }

  onceClosed(callback: () => void): void {
    if (this.transport.closed) callback();
    else this.transport.ws.once("close", callback);
  }

  /** @internal a write of the transport. */
  _onwritten(frames: number, bytes: number): void {
    this.listener?._onwritten(frames, bytes);
  }

  /** @internal an inbound frame. */
  _onmessage(data: Buffer, isBinary: boolean): void {
    const listener = this.listener;
    if (listener === undefined) return;
    listener._onheard(data.length);
    let packet: Packet;
    try {
      packet = this.codec.decode(isBinary ? data : data.toString(), FROM_CLIENT);
    } catch (err) {
      listener._onprotocolerror(err instanceof Error ? err : new ProtocolError("invalid frame"), false);
      return;
    }
    // HEARTBEAT replies only prove the peer is alive, which _onheard already recorded.
    if (packet.type !== PacketType.HEARTBEAT) listener._onpacket(packet, data.length);
  }

  /** @internal */
  _onerror(err: Error, protocolViolation: boolean): void {
    if (protocolViolation) {
      this.closeReason ??= "parse error";
      this.listener?._onprotocolerror(err, true);
    } else {
      this.closeReason ??= "transport error";
    }
  }

  /** @internal */
  _onclose(code: number): void {
    this.listener?._onclose(this.closeReason ?? "transport close", code);
  }

  /** @internal the connection closes with the limit's code, as for a broken packet. */
  _onlimit(err: ProtocolError): void {
    this.listener?._onprotocolerror(err, false);
  }
}
