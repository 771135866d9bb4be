import type { Codec, Packet } from "@roomcast/protocol";
import type { DisconnectReason } from "../types.js";
import type { OutgoingPacket } from "./outgoing-packet.js";

/** Names of the wire dialects a server speaks. */
export type DialectName = "roomcast" | "socketio";

/** Names of the transports bytes move over. */
export type TransportName = "websocket" | "polling";

/** What a wire reports to the connection that owns it. */
export interface WireListener {
  /** A complete, validated packet from the peer, `bytes` long on the wire (for traces). */
  _onpacket(packet: Packet, bytes: number): void;
  /** Anything arrived from the peer (a packet, a pong, a probe), `bytes` long: it is alive. */
  _onheard(bytes: number): void;
  /**
   * The peer broke the protocol (counted by the connection). When `closing` is false the
   * connection closes the wire with `err.closeCode` (1002 when it has none); when true, the
   * transport is already closing itself (ws answered an RFC 6455 violation).
   */
  _onprotocolerror(err: Error, closing: boolean): void;
  /** The transport switched (Engine.IO upgrade from polling to WebSocket). */
  _onupgrade(transport: TransportName): void;
  /**
   * `frames` frames, `bytes` long, went to the socket in one write (for the connection's
   * counters). A method rather than a callback field: no closure per connection.
   */
  _onwritten(frames: number, bytes: number): void;
  /**
   * The wire is closed for good: every namespace socket must go. `code` is the WebSocket close
   * code when there was a WebSocket (see WebSocketListener#_onclose), else undefined.
   */
  _onclose(reason: DisconnectReason, code: number | undefined): void;
}

/**
 * How one connection's packets are framed (a dialect) and moved (its transport). The connection
 * decides what a packet means, which namespace socket gets it, and when a peer is too slow; the
 * wire only turns packets into bytes and back. Adding a dialect adds a Wire, not a branch in the
 * connection.
 */
export interface Wire {
  readonly dialect: DialectName;
  /** The transport in use now; an Engine.IO session may upgrade from "polling" to "websocket". */
  readonly transportName: TransportName;
  /** What the dialect negotiated: the roomcast subprotocol, or "socket.io" for Socket.IO clients. */
  readonly protocol: string;
  /** roomcast's codec (json or msgpack) when the dialect is roomcast's own. */
  readonly codec: Codec | undefined;
  /** True when frames go through permessage-deflate (they are then compressed per connection). */
  readonly deflate: boolean;
  /** Outbound bytes not yet taken by the peer (queued plus buffered in the socket). */
  readonly bufferedAmount: number;
  /** Sets who hears this wire; called once by the connection. */
  attach(listener: WireListener): void;
  /** Pending outbound bytes, read cheaply on the hot path (see WebSocketTransport#buffered). */
  buffered(): number;
  /**
   * Of `buffered()`, the bytes a peer has failed to take, or -1 while it takes what it is
   * handed: over a WebSocket whose kernel accepted none of its backlog since the previous tick,
   * what was handed to it since it was last seen taking bytes; over long-polling, everything
   * queued once packets waited for a GET longer than `patienceMs`. Read after `buffered()`, and
   * only when a packet would take the connection over maxBufferedBytes (docs/ERRORS.md, "Slow
   * consumers").
   */
  stalledBytes(patienceMs: number): number;
  /** Bytes `packet` takes in this dialect (encodes it, once per broadcast). */
  encodedLength(packet: OutgoingPacket): number;
  /** Queues `packet` for this tick's write. */
  write(packet: OutgoingPacket, compress: boolean): void;
  /** Sends the dialect's heartbeat (a HEARTBEAT packet, or an Engine.IO ping). */
  ping(): void;
  /** Writes what is queued, then closes with `code` (RFC 6455 close code) and `message`. */
  close(code: number, message: string): void;
  /** Drops the wire at once, without a closing handshake. */
  terminate(): void;
  /** Calls `callback` once the wire is fully closed (at once when it already is). */
  onceClosed(callback: () => void): void;
  /** Drops what is queued and not yet written (a slow consumer's backlog). */
  discard(): void;
}
