import type { Socket as NetSocket } from "node:net";
import { WebSocket, type RawData } from "ws";
import { sharedBatch } from "./shared-batch.js";
import { scheduleFlush } from "./write-scheduler.js";

/** What a WebSocket transport reports to the dialect that reads it. */
export interface WebSocketListener {
  /** One inbound message: a text frame (`isBinary` false, UTF-8 bytes) or a binary one. */
  _onmessage(data: Buffer, isBinary: boolean): void;
  /** `ws` reported an error; `protocolViolation` when the peer broke RFC 6455 (bad frame, oversize, bad UTF-8). */
  _onerror(err: Error, protocolViolation: boolean): void;
  /** The WebSocket is closed, whoever closed it. */
  _onclose(): void;
}

/*
 * How long `writeAlone` holds the frames that follow. A turn of the event loop is not enough on
 * loopback: the peer often has not read the first write yet, and reads both at once (1 in 100 at
 * 1 ms, still a few in 1000 at 5 ms with the peer's process busy; none seen at 10 ms).
 */
const HOLD_MS = 10;

function releaseHold(transport: WebSocketTransport): void {
  transport._releaseHold();
}

/**
 * The server's WebSocket class: one slot for its transport, so that the `message`, `error` and
 * `close` listeners can be functions shared by every connection (ws calls them with `this` = the
 * WebSocket) instead of three closures per connection.
 */
export class TransportWebSocket extends WebSocket {
  transport: WebSocketTransport | undefined = undefined;
}

function onWebSocketMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  (this as TransportWebSocket).transport?.listener?._onmessage(data as Buffer, isBinary);
}

function onWebSocketError(this: WebSocket, err: Error): void {
  const code = (err as { code?: unknown }).code;
  const violation = typeof code === "string" && code.startsWith("WS_ERR_");
  (this as TransportWebSocket).transport?.listener?._onerror(err, violation);
}

function onWebSocketClose(this: WebSocket): void {
  const transport = (this as TransportWebSocket).transport;
  if (transport === undefined) return;
  transport.closed = true;
  transport.listener?._onclose();
}

/**
 * How bytes move over one WebSocket (RFC 6455). Frames are built by the dialect, once per
 * broadcast and shared by every recipient, so they go to the TCP socket directly instead of being
 * re-framed by `ws.send`; everything queued during a tick is written with one write. With
 * permessage-deflate, payloads go through `ws.send`, which compresses and keeps them in order.
 */
export class WebSocketTransport {
  readonly name = "websocket";
  readonly deflate: boolean;
  /** Who reads this transport; replaced when a probe becomes a session's transport. */
  listener: WebSocketListener | undefined;
  /** Set once the WebSocket reported `close`. */
  closed = false;
  private readonly raw: NetSocket;
  private readonly queue: Buffer[] = [];
  private queuedBytes = 0;
  /**
   * The socket's own buffer (`writableLength`), read when the first frame of a tick is queued.
   * Nothing reaches the socket from this transport until the flush, so `buffered` compares
   * against this figure instead of asking the stream for every packet.
   */
  private socketBuffered = 0;
  private flushScheduled = false;

  constructor(readonly ws: WebSocket) {
    // ws keeps the TCP socket private; we write pre-built frames to it.
    this.raw = (ws as unknown as { _socket: NetSocket })._socket;
    this.deflate = ws.extensions.includes("permessage-deflate");
    (ws as TransportWebSocket).transport = this;
    ws.on("message", onWebSocketMessage);
    ws.on("error", onWebSocketError);
    ws.on("close", onWebSocketClose);
  }

  /** Outbound bytes not yet accepted by the kernel: our queue plus the socket's buffer. */
  get bufferedAmount(): number {
    return this.deflate ? this.ws.bufferedAmount : this.queuedBytes + this.raw.writableLength;
  }

  /** The same figure, read cheaply on the hot path (the socket's part is read once per tick). */
  buffered(): number {
    if (this.deflate) return this.ws.bufferedAmount;
    if (!this.flushScheduled) this.socketBuffered = this.raw.writableLength;
    return this.queuedBytes + this.socketBuffered;
  }

  /** True when the WebSocket can still carry data frames. */
  get writable(): boolean {
    return !this.closed && this.ws.readyState === WebSocket.OPEN;
  }

  /** Queues complete, unmasked frames (one or several back to back) for this tick's write. */
  queueFrames(frames: Buffer): void {
    this.queue.push(frames);
    this.queuedBytes += frames.length;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      scheduleFlush(this);
    }
  }

  /** permessage-deflate path: `ws` frames (and maybe compresses) the payload itself. */
  sendPayload(payload: Buffer | string, binary: boolean, compress: boolean): void {
    this.ws.send(payload, { binary, compress });
  }

  /**
   * Writes everything queued this tick with one write. Called by the write scheduler. Returns
   * the number of frames-chunks written (0 when nothing could be).
   */
  flush(): void {
    this.flushScheduled = false;
    // While held (see `writeAlone`), the hold's timer writes instead.
    if (this.holdTimer === undefined) this.write();
  }

  /**
   * Writes what is queued now, in a write of its own, and holds whatever is queued next until a
   * later turn of the event loop, so that the peer reads the two apart.
   */
  writeAlone(): void {
    this.write();
    if (this.holdTimer !== undefined) return;
    // A module-level callback: no closure kept per connection.
    this.holdTimer = setTimeout(releaseHold, HOLD_MS, this);
  }

  private holdTimer: NodeJS.Timeout | undefined;

  /** @internal the hold of `writeAlone` is over: what was queued meanwhile goes out. */
  _releaseHold(): void {
    this.holdTimer = undefined;
    this.write();
  }

  private write(): void {
    const queue = this.queue;
    if (queue.length === 0) return;
    if (this.ws.readyState !== WebSocket.OPEN || this.raw.destroyed) {
      // ws already wrote its close frame; nothing may follow it.
      this.discard();
      return;
    }
    // One write of one buffer: several chunks are joined, once for every transport whose queue
    // holds the same chunks (the members of a room after a burst), see shared-batch.ts.
    this.raw.write(queue.length === 1 ? queue[0] : sharedBatch(queue, this.queuedBytes));
    this.onflush?.(queue.length, this.queuedBytes);
    queue.length = 0;
    this.queuedBytes = 0;
  }

  /** Called after each write with the chunks and bytes written (the connection's counters). */
  onflush: ((chunks: number, bytes: number) => void) | undefined;

  /** Forgets what is queued (a slow consumer's backlog, or a closing socket). */
  discard(): void {
    this.queue.length = 0;
    this.queuedBytes = 0;
  }

  /** Writes what is queued, then the close frame. A close reason is at most 123 bytes. */
  close(code: number, reason: string): void {
    clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    this.write();
    this.ws.close(code, reason.length > 120 ? reason.slice(0, 120) : reason);
  }

  /** Drops the TCP connection without a close handshake. */
  terminate(): void {
    clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    this.ws.terminate();
  }
}
