import type { Socket as NetSocket } from "node:net";
import { WebSocket, type RawData } from "ws";
import { CloseCode, ErrorCode, ProtocolError } from "@roomcast/protocol";
import { sharedBatch } from "./shared-batch.js";
import { scheduleFlush } from "./write-scheduler.js";

/** What a WebSocket transport reports to the dialect that reads it. */
export interface WebSocketListener {
  /** One inbound message: a text frame (`isBinary` false, UTF-8 bytes) or a binary one. */
  _onmessage(data: Buffer, isBinary: boolean): void;
  /** `ws` reported an error; `protocolViolation` when the peer broke RFC 6455 (bad frame, oversize, bad UTF-8). */
  _onerror(err: Error, protocolViolation: boolean): void;
  /**
   * The WebSocket is closed, whoever closed it. `code` is the close code ws reports: the peer's
   * (or the one echoed back), 1005 when the close frame had none, 1006 when no close frame came.
   */
  _onclose(code: number): void;
  /** The peer went over a limit of the transport (too many pings): close with `err.closeCode`. */
  _onlimit(err: ProtocolError): void;
  /** `chunks` queued chunks, `bytes` long, went to the socket in one write (for the counters). */
  _onwritten(chunks: number, bytes: number): void;
}

/*
 * Pings a peer may send per second. No client needs more: browsers cannot send pings at all,
 * Socket.IO's heartbeat travels in data frames, and ws-based clients ping every few seconds. Below
 * ws's own cut (it drops, without a close frame, a peer with 60 automatic pongs not yet written),
 * even across a window's edge, so a flooding peer that reads learns why: 4004.
 */
const MAX_PINGS_PER_SECOND = 16;

/*
 * How long `writeAlone` holds the frames that follow. A turn of the event loop is not enough on
 * loopback: the peer often has not read the first write yet, and reads both at once (1 in 100 at
 * 1 ms, still a few in 1000 at 5 ms with the peer's process busy; none seen at 10 ms).
 */
const HOLD_MS = 10;

function releaseHold(transport: WebSocketTransport): void {
  transport._releaseHold();
}

/** The libuv handle of a TCP socket, with the two counters Node keeps on it. */
interface StreamHandle {
  /** Bytes handed to libuv for writing so far. */
  readonly bytesWritten: number;
  /** Bytes handed to libuv that the kernel has not accepted yet. */
  readonly writeQueueSize: number;
}

/*
 * A count that grows as the kernel accepts bytes from `socket`. `writableLength` only drops when a
 * whole write completes, so a reader working through one large write would look stuck; the
 * handle's counters move with every byte the kernel takes. Over TLS the queue holds ciphertext,
 * so a write alone lowers the count by its overhead: only a rise means the peer took bytes.
 */
function kernelTaken(socket: NetSocket): number {
  const handle = (socket as unknown as { _handle: StreamHandle | null })._handle;
  return handle === null ? 0 : handle.bytesWritten - handle.writeQueueSize;
}

/* `takenMark` when no backlog has been seen since the socket last drained. */
const NO_MARK = -1;

/**
 * The server's WebSocket class: one slot for its transport, and `emit` overridden so that ws's
 * `message`, `error`, `close` and `ping` reach the transport without a listener on the WebSocket.
 * Listeners would cost memory per connection: each event name is an entry of the emitter's
 * `_events` dictionary (four of them took ~250 B per idle connection, twice what ws's three
 * listeners of a bare server take). Listeners added with `on`/`once` (`onceClosed`) still run.
 */
export class TransportWebSocket extends WebSocket {
  transport: WebSocketTransport | undefined = undefined;

  override emit(event: string | symbol, ...args: unknown[]): boolean {
    const transport = this.transport;
    if (transport !== undefined) {
      switch (event) {
        case "message":
          transport.listener?._onmessage(args[0] as Buffer, args[1] as boolean);
          break;
        case "error":
          onWebSocketError(transport, args[0] as Error);
          // an `error` with no listener would throw from EventEmitter#emit
          return this.listenerCount("error") === 0 || super.emit(event, ...args);
        case "close":
          transport.closed = true;
          transport.listener?._onclose(args[0] as number);
          break;
        case "ping":
          transport._onping();
          break;
      }
    } else if (event === "error" && this.listenerCount("error") === 0) {
      // no transport yet (the upgrade is completing) and no listener: nothing to tell
      return false;
    }
    return super.emit(event, ...args);
  }
}

function onWebSocketError(transport: WebSocketTransport, err: Error): void {
  const code = (err as { code?: unknown }).code;
  const violation = typeof code === "string" && code.startsWith("WS_ERR_");
  transport.listener?._onerror(err, violation);
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
  /*
   * What this tick queued: `head` alone when it is one chunk (a broadcast's frame, the common
   * case), else every chunk in order in `queue`, made at the first tick with two. Emptying an
   * array drops its storage, so an array for the single chunk would be allocated again for
   * every recipient of every broadcast.
   */
  private head: Buffer | undefined = undefined;
  private queue: Buffer[] | undefined = undefined;
  private queuedChunks = 0;
  private queuedBytes = 0;
  /**
   * The socket's own buffer (`writableLength`), read after each write of this transport and, when
   * it may have changed since, when the first frame of a tick is queued. Nothing reaches the
   * socket from this transport until the flush, so `buffered` compares
   * against this figure instead of asking the stream for every packet.
   */
  private socketBuffered = 0;
  /*
   * Whether `socketBuffered` may be out of date while it says 0. Only this transport's writes and
   * ws's own frames (a pong, a close) reach the socket, and each write of ours re-reads the figure
   * while the socket is at hand; so a tick's first packet reads the stream only when the socket
   * held bytes, a pong went out, or the peer looked stalled. A broadcast then queues its frame
   * without reaching into every recipient's socket and stream state, which the flush reads again
   * anyway; nothing is written before the whole broadcast is queued, so this delays every byte.
   */
  private socketUnread = true;
  private flushScheduled = false;
  /* Pings counted since `pingWindowStart` (performance.now()), for MAX_PINGS_PER_SECOND. */
  private pingWindowStart = 0;
  private pingsInWindow = 0;
  /*
   * Whether the peer has stopped taking bytes (see `stalledBytes`), decided at a tick's first
   * packet. `inTransit` is the pending figure when it was last seen taking bytes, and `takenMark`
   * what the kernel had accepted then (NO_MARK: no backlog seen since the socket last drained).
   */
  private stalled = false;
  private inTransit = 0;
  private takenMark = NO_MARK;

  constructor(readonly ws: WebSocket) {
    // ws keeps the TCP socket private; we write pre-built frames to it.
    this.raw = (ws as unknown as { _socket: NetSocket })._socket;
    this.deflate = ws.extensions.includes("permessage-deflate");
    (ws as TransportWebSocket).transport = this;
    // a WebSocket of ws's own class has no `emit` of ours: listen to it instead
    if (!(ws instanceof TransportWebSocket)) {
      ws.on("message", (data: RawData, isBinary: boolean) => this.listener?._onmessage(data as Buffer, isBinary));
      ws.on("error", (err: Error) => onWebSocketError(this, err));
      ws.on("close", (code: number) => {
        this.closed = true;
        this.listener?._onclose(code);
      });
      ws.on("ping", () => this._onping());
    }
  }

  /** Outbound bytes not yet accepted by the kernel: our queue plus the socket's buffer. */
  get bufferedAmount(): number {
    return this.deflate ? this.ws.bufferedAmount : this.queuedBytes + this.raw.writableLength;
  }

  /**
   * The same figure, read cheaply on the hot path: the socket's part is read at most once per
   * tick, at the tick's first packet, and only when it may have changed since this transport's
   * last write (see `socketUnread`); that is also when the peer's progress is judged (with
   * permessage-deflate, ws's figure is read every time: it grows as ws queues each message).
   */
  buffered(): number {
    if (this.deflate) {
      if (!this.flushScheduled) this.look(this.raw.writableLength);
      return this.ws.bufferedAmount;
    }
    if (!this.flushScheduled && (this.socketBuffered !== 0 || this.socketUnread || this.stalled)) {
      this.socketUnread = false;
      const socketBuffered = (this.socketBuffered = this.raw.writableLength);
      // A socket that took everything is not stalled; nothing more to read in the common case.
      if (socketBuffered !== 0 || this.stalled) this.look(socketBuffered);
    }
    return this.queuedBytes + this.socketBuffered;
  }

  /**
   * Bytes handed to a peer that has stopped taking them, or -1 while it takes them. A peer has
   * stopped when its socket holds bytes from an earlier tick and the kernel accepted none of them
   * since the tick that last looked; what counts is what was handed to it since it was last seen
   * taking bytes (a burst still on its way does not). Valid after `buffered()` in the same tick.
   */
  stalledBytes(): number {
    // Never below 0: with permessage-deflate, compression shrinks what was in transit.
    return this.stalled ? Math.max(0, this.buffered() - this.inTransit) : -1;
  }

  /*
   * Once per tick with a backlog in the socket: has the kernel accepted anything since the last
   * look? The tick is marked as looked at (a flush is scheduled, a no-op when nothing gets queued),
   * so that a second look microseconds later does not mistake "no time passed" for "stopped".
   */
  private look(socketBuffered: number): void {
    if (socketBuffered === 0) {
      this.stalled = false;
      this.takenMark = NO_MARK;
    } else {
      const taken = kernelTaken(this.raw);
      if (this.takenMark === NO_MARK || taken > this.takenMark) {
        this.stalled = false;
        this.inTransit = this.pending(socketBuffered);
        this.takenMark = taken;
      } else {
        this.stalled = true;
      }
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      scheduleFlush(this);
    }
  }

  /** Queued plus in the socket (and, with permessage-deflate, waiting to be compressed). */
  private pending(socketBuffered: number): number {
    return this.deflate ? this.ws.bufferedAmount : this.queuedBytes + socketBuffered;
  }

  /*
   * After a tick in which the peer was taking bytes, everything then pending counts as in
   * transit: a burst is judged by whether it moves, not by its size.
   */
  private markInTransit(): void {
    if (this.stalled) return;
    const socketBuffered = this.raw.writableLength;
    this.inTransit = this.pending(socketBuffered);
    this.takenMark = socketBuffered === 0 && !this.deflate ? NO_MARK : kernelTaken(this.raw);
  }

  /** @internal ws received a ping (and has already queued its pong). */
  _onping(): void {
    // the pong went to the socket past this transport
    this.socketUnread = true;
    const now = performance.now();
    if (now - this.pingWindowStart >= 1000) {
      this.pingWindowStart = now;
      this.pingsInWindow = 0;
    }
    if (++this.pingsInWindow <= MAX_PINGS_PER_SECOND || this.ws.readyState !== WebSocket.OPEN) return;
    const err = new ProtocolError("too many pings", ErrorCode.TOO_MANY_PACKETS, CloseCode.LIMIT_EXCEEDED);
    // no reader yet (or any more): nothing above to tell, the transport closes itself
    if (this.listener === undefined) this.close(CloseCode.LIMIT_EXCEEDED, err.message);
    else this.listener._onlimit(err);
  }

  /** True when the WebSocket can still carry data frames. */
  get writable(): boolean {
    return !this.closed && this.ws.readyState === WebSocket.OPEN;
  }

  /** Queues complete, unmasked frames (one or several back to back) for this tick's write. */
  queueFrames(frames: Buffer): void {
    const chunks = this.queuedChunks++;
    if (chunks === 0) this.head = frames;
    else {
      const queue = (this.queue ??= []);
      if (chunks === 1) queue.push(this.head as Buffer);
      queue.push(frames);
    }
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
    // ws writes what it compresses itself, later: what this tick handed it is marked here.
    if (this.deflate) this.markInTransit();
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
    const chunks = this.queuedChunks;
    if (chunks === 0) return;
    if (this.ws.readyState !== WebSocket.OPEN || this.raw.destroyed) {
      // ws already wrote its close frame; nothing may follow it.
      this.discard();
      return;
    }
    // One write of one buffer: several chunks are joined, once for every transport whose queue
    // holds the same chunks (the members of a room after a burst), see shared-batch.ts.
    const drained = this.raw.write(chunks === 1 ? (this.head as Buffer) : sharedBatch(this.queue as Buffer[], this.queuedBytes));
    this.listener?._onwritten(chunks, this.queuedBytes);
    this.discard();
    this.socketBuffered = this.raw.writableLength;
    // `write` returns false when the kernel left at least the stream's high-water mark (16 KiB)
    // in the socket: only then is there a backlog worth marking, so the common case reads nothing.
    if (!drained) this.markInTransit();
  }

  /** Forgets what is queued (a slow consumer's backlog, or a closing socket). */
  discard(): void {
    if (this.queuedChunks > 1) (this.queue as Buffer[]).length = 0;
    this.head = undefined;
    this.queuedChunks = 0;
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
