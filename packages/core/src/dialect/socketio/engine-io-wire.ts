import { CloseCode, PacketType, ProtocolError, type RoomcastError } from "@roomcast/protocol";
import type { PollingListener, PollingTransport } from "../../transport/polling-transport.js";
import type { WebSocketListener, WebSocketTransport } from "../../transport/websocket-transport.js";
import type { DisconnectReason } from "../../types.js";
import { buildFrame, buildTextFrame, type OutgoingPacket } from "../outgoing-packet.js";
import type { TransportName, Wire, WireListener } from "../wire.js";
import { decodeEnginePacket, type EnginePacket, EnginePacketType } from "./engine-packet.js";
import { decodePollingPayload } from "./polling-payload.js";
import { SocketIoDecoder } from "./socketio-decoder.js";

/* Engine.IO v4 control packets as text and as ready WebSocket frames. */
const PING = "2";
const CLOSE = "1";
const PING_FRAME = buildTextFrame(PING, false);
const PROBE_REPLY_FRAME = buildTextFrame("3probe", false);
const RECORD_SEPARATOR = "\x1e";
/*
 * Closes that do not wait for the client's next GET over long-polling: the peer went silent or
 * broke the protocol, so Engine.IO forgets the session at once and its next request finds the
 * sid unknown (HTTP 400). A waiting GET still gets the close packet.
 */
const ABRUPT_CLOSES: ReadonlySet<number> = new Set([
  CloseCode.PROTOCOL_ERROR,
  CloseCode.UNSUPPORTED_DATA,
  CloseCode.INVALID_PAYLOAD,
  CloseCode.MESSAGE_TOO_BIG,
  CloseCode.HEARTBEAT_TIMEOUT,
  CloseCode.LIMIT_EXCEEDED,
]);

/** Timing and limits of an Engine.IO session. */
export interface EngineIoWireOptions {
  /** Milliseconds a probe WebSocket has to send the upgrade packet ("5") after "2probe". */
  upgradeTimeout: number;
  /** Milliseconds a closing polling session waits for the GET that carries its last packets. */
  closeTimeout: number;
  /**
   * Called once when a session ends, before `onceClosed` callbacks. One object is shared by every
   * session of an endpoint, so this costs no closure per connection.
   */
  onEnded?(wire: EngineIoWire): void;
}

/**
 * One Engine.IO v4 session carrying Socket.IO v5 packets (the Socket.IO dialect). It speaks over
 * long-polling or a WebSocket, and upgrades from the first to the second when the client probes
 * ("2probe" / "3probe", then "5"), moving whatever is still queued. The server pings ("2"), the
 * client answers ("3"); any packet counts as a sign of life.
 */
export class EngineIoWire implements Wire, WebSocketListener, PollingListener {
  readonly dialect = "socketio";
  readonly protocol = "socket.io";
  readonly codec = undefined;
  private listener: WireListener | undefined;
  private readonly decoder: SocketIoDecoder;
  private polling: PollingTransport | undefined;
  private websocket: WebSocketTransport | undefined;
  /* A WebSocket that sent (or may send) "2probe" and has not yet completed the upgrade. */
  private probe: WebSocketTransport | undefined;
  private upgradeTimer: NodeJS.Timeout | undefined;
  private closeTimer: NodeJS.Timeout | undefined;
  private closeReason: DisconnectReason | undefined;
  private closed = false;
  private closeCallbacks: (() => void)[] | undefined;
  /* Length of the Socket.IO packet being decoded so far (its text, then its attachments), for traces. */
  private messageBytes = 0;

  constructor(
    /** The Engine.IO session id (`sid`). */
    readonly sid: string,
    transport: PollingTransport | WebSocketTransport,
    private readonly options: EngineIoWireOptions,
    decoder: SocketIoDecoder,
  ) {
    this.decoder = decoder;
    if (transport.name === "polling") {
      this.polling = transport;
      transport.listener = this;
    } else {
      this.useWebSocket(transport);
    }
  }

  private useWebSocket(transport: WebSocketTransport): void {
    this.websocket = transport;
    transport.listener = this;
  }

  /** @internal a write of either transport. */
  _onwritten(frames: number, bytes: number): void {
    this.listener?._onwritten(frames, bytes);
  }

  get transportName(): TransportName {
    return this.websocket !== undefined ? "websocket" : "polling";
  }

  /** True while a probe WebSocket is open and the upgrade not complete. */
  get upgrading(): boolean {
    return this.probe !== undefined;
  }

  get deflate(): boolean {
    return this.websocket?.deflate ?? false;
  }

  get bufferedAmount(): number {
    return this.websocket?.bufferedAmount ?? this.polling?.bufferedAmount ?? 0;
  }

  attach(listener: WireListener): void {
    this.listener = listener;
  }

  buffered(): number {
    return this.websocket !== undefined ? this.websocket.buffered() : (this.polling?.bufferedAmount ?? 0);
  }

  stalledBytes(patienceMs: number): number {
    return this.websocket !== undefined ? this.websocket.stalledBytes() : (this.polling?.stalledBytes(patienceMs) ?? -1);
  }

  encodedLength(packet: OutgoingPacket): number {
    return this.websocket !== undefined ? packet.socketIoFrames().length : packet.socketIoPollingText().length;
  }

  write(packet: OutgoingPacket, compress: boolean): void {
    const websocket = this.websocket;
    if (websocket === undefined) {
      this.polling?.queuePackets(packet.socketIoPollingText());
      return;
    }
    if (!websocket.deflate) {
      websocket.queueFrames(packet.socketIoFrames());
      // A namespace's CONNECT reply goes out in a write of its own, and what the "connection"
      // handler emits follows a few milliseconds later. Bare WebSocket clients (the Socket.IO
      // protocol's test suite among them) read the reply, then start waiting for the next
      // message, and miss one that arrived in the same read.
      if (packet.packet.type === PacketType.CONNECTED) websocket.writeAlone();
      return;
    }
    const encoded = packet.socketIo();
    websocket.sendPayload("4" + encoded.text, false, compress);
    for (const attachment of encoded.attachments) websocket.sendPayload(attachment, true, compress);
    this.listener?._onwritten(1 + encoded.attachments.length, encoded.text.length + 1);
  }

  ping(): void {
    if (this.websocket !== undefined) {
      if (this.websocket.deflate) this.websocket.sendPayload(PING, false, false);
      else this.websocket.queueFrames(PING_FRAME);
    } else {
      this.polling?.queuePackets(PING);
    }
  }

  /**
   * Closes the session. Over a WebSocket, queued frames then the close frame (`code`, `message`)
   * are written; over polling, the waiting or the next GET (within `closeTimeout`) carries what is
   * queued and the close packet, except after a protocol error or a heartbeat timeout
   * (ABRUPT_CLOSES), when the session ends at once.
   */
  close(code: number, message: string): void {
    if (this.closed) return;
    this.dropProbe();
    if (this.websocket !== undefined) {
      this.websocket.close(code, message);
      return;
    }
    const polling = this.polling;
    if (polling === undefined) return;
    if (ABRUPT_CLOSES.has(code)) {
      polling.releaseGet(CLOSE);
      this.finish();
      return;
    }
    if (polling.closeWhenTaken(CLOSE)) {
      this.finish();
      return;
    }
    this.closeTimer = setTimeout(() => this.finish(), this.options.closeTimeout);
    polling.onTaken = () => this.finish();
  }

  terminate(): void {
    this.dropProbe();
    if (this.websocket !== undefined) this.websocket.terminate();
    else this.finish();
  }

  discard(): void {
    this.websocket?.discard();
    this.polling?.discard();
  }

  onceClosed(callback: () => void): void {
    if (this.closed) callback();
    else (this.closeCallbacks ??= []).push(callback);
  }

  // ---- polling ----

  /** A GET of this session's polling transport; refused once the session upgraded. */
  get pollingTransport(): PollingTransport | undefined {
    return this.websocket === undefined ? this.polling : undefined;
  }

  /** @internal a POST body, `bytes` long. */
  _onpollingdata(body: string, bytes: number): void {
    let packets: EnginePacket[];
    try {
      packets = decodePollingPayload(body);
    } catch (err) {
      this.polling?.rejectPost(errorBody(err as RoomcastError));
      this.protocolError(err);
      return;
    }
    // The body's bytes are counted with its first packet.
    for (const packet of packets) {
      if (this.closed) return;
      this.onEnginePacket(packet, this.polling, bytes);
      bytes = 0;
    }
  }

  /** @internal the polling transport was misused (overlapping requests, oversize body). */
  /** @internal the client dropped its waiting GET. */
  _onpollingclosed(): void {
    this.closeReason ??= "transport close";
    this.finish();
  }

  /** @internal */
  _onpollingerror(err: ProtocolError): void {
    this.closeReason ??= "transport error";
    this.listener?._onprotocolerror(err, false);
  }

  // ---- WebSocket ----

  /** @internal a frame on the session's WebSocket. */
  _onmessage(data: Buffer, isBinary: boolean): void {
    let packet: EnginePacket;
    try {
      packet = decodeEnginePacket(data, isBinary);
    } catch (err) {
      this.protocolError(err);
      return;
    }
    this.onEnginePacket(packet, this.websocket, data.length);
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

  /** @internal the session's WebSocket closed with `code`. */
  _onclose(code: number): void {
    this.finish(code);
  }

  /** @internal the session's WebSocket went over a limit: the connection closes with its code. */
  _onlimit(err: ProtocolError): void {
    this.protocolError(err);
  }

  // ---- upgrade ----

  /**
   * A WebSocket opened with this session's `sid`: it becomes a probe. It must send "2probe"
   * (answered "3probe") and then "5" within `upgradeTimeout`, or it is closed. Returns false when
   * the session cannot upgrade (already on WebSocket, already probing, closed).
   */
  startUpgrade(probe: WebSocketTransport): boolean {
    if (this.closed || this.websocket !== undefined || this.probe !== undefined) return false;
    this.probe = probe;
    probe.listener = {
      _onmessage: (data, isBinary) => this.onProbeMessage(probe, data, isBinary),
      _onerror: () => {},
      _onclose: () => {
        if (this.probe === probe) this.dropProbe();
      },
      _onlimit: () => {
        if (this.probe === probe) this.dropProbe();
      },
      // "3probe" is the transport's own business: counted from the upgrade on, as before
      _onwritten: () => {},
    };
    this.upgradeTimer = setTimeout(() => {
      if (this.probe === probe) this.dropProbe();
    }, this.options.upgradeTimeout);
    return true;
  }

  private onProbeMessage(probe: WebSocketTransport, data: Buffer, isBinary: boolean): void {
    if (this.probe !== probe) return;
    let packet: EnginePacket;
    try {
      packet = decodeEnginePacket(data, isBinary);
    } catch {
      this.dropProbe();
      return;
    }
    this.listener?._onheard(data.length);
    if (packet.type === EnginePacketType.PING && packet.data === "probe") {
      probe.queueFrames(PROBE_REPLY_FRAME);
      // The client stops polling once its waiting GET returns: release it with a noop.
      this.polling?.releaseGet();
      return;
    }
    if (packet.type === EnginePacketType.UPGRADE) {
      this.completeUpgrade(probe);
      return;
    }
    // Only the probe and the upgrade belong on a probe; anything else ends it.
    this.dropProbe();
  }

  private completeUpgrade(probe: WebSocketTransport): void {
    clearTimeout(this.upgradeTimer);
    this.upgradeTimer = undefined;
    this.probe = undefined;
    const polling = this.polling;
    this.useWebSocket(probe);
    if (polling !== undefined) {
      // What polling had not delivered yet goes over the WebSocket, in order.
      for (const text of polling.takeQueued()) {
        for (const packet of text.split(RECORD_SEPARATOR)) {
          probe.queueFrames(packet[0] === "b" ? buildFrame(Buffer.from(packet.slice(1), "base64"), true) : buildTextFrame(packet, false));
        }
      }
      polling.close();
      this.polling = undefined;
    }
    this.listener?._onupgrade("websocket");
  }

  private dropProbe(): void {
    clearTimeout(this.upgradeTimer);
    this.upgradeTimer = undefined;
    const probe = this.probe;
    if (probe === undefined) return;
    this.probe = undefined;
    probe.listener = undefined;
    probe.terminate();
  }

  // ---- shared ----

  private onEnginePacket(packet: EnginePacket, from: PollingTransport | WebSocketTransport | undefined, bytes: number): void {
    const listener = this.listener;
    if (listener === undefined || from === undefined) return;
    listener._onheard(bytes);
    switch (packet.type) {
      case EnginePacketType.MESSAGE: {
        this.messageBytes += packet.data.length;
        let decoded;
        try {
          decoded = this.decoder.add(packet.data);
        } catch (err) {
          this.polling?.rejectPost(errorBody(err as RoomcastError));
          this.protocolError(err);
          return;
        }
        if (decoded !== undefined) {
          const length = this.messageBytes;
          this.messageBytes = 0;
          listener._onpacket(decoded, length);
        }
        return;
      }
      case EnginePacketType.PONG:
      case EnginePacketType.NOOP:
        return;
      case EnginePacketType.CLOSE:
        this.closeReason ??= "transport close";
        // The client closes on purpose: a waiting GET is released, nothing more is sent.
        this.polling?.close();
        this.finishSoon();
        return;
      default:
        // open, ping and upgrade have no meaning from a client on an established transport.
        this.protocolError(new ProtocolError(`unexpected Engine.IO packet type ${packet.type}`));
    }
  }

  private protocolError(err: unknown): void {
    this.listener?._onprotocolerror(err instanceof Error ? err : new ProtocolError("invalid packet"), false);
  }

  /* A close requested by the client over a WebSocket: ws completes the closing handshake. */
  private finishSoon(): void {
    if (this.websocket !== undefined) this.websocket.close(1000, "");
    else this.finish();
  }

  /** Ends the session; `code` is its WebSocket's close code, undefined over long-polling. */
  private finish(code?: number): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.closeTimer);
    this.closeTimer = undefined;
    this.dropProbe();
    this.polling?.close();
    this.listener?._onclose(this.closeReason ?? "transport close", code);
    this.options.onEnded?.(this);
    const callbacks = this.closeCallbacks;
    this.closeCallbacks = undefined;
    if (callbacks !== undefined) for (const callback of callbacks) callback();
  }
}

/** The JSON body of a refused polling request: `{ code, message }` as in docs/ERRORS.md. */
function errorBody(err: RoomcastError): string {
  return JSON.stringify({ code: err.code ?? "ERR_INVALID_PACKET", message: err.message });
}
