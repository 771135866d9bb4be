import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { CloseCode, ErrorCode, ProtocolError } from "@roomcast/protocol";
import { scheduleFlush } from "./write-scheduler.js";

/** What a long-polling transport reports to the session that owns it. */
export interface PollingListener {
  /** The body of one POST, read in full (at most `maxPayload` bytes), `bytes` long. */
  _onpollingdata(body: string, bytes: number): void;
  /**
   * A GET or POST broke the transport's rules (an overlapping request, an oversize body); the
   * request was already answered with `err`'s code. Engine.IO ends the session then.
   */
  _onpollingerror(err: ProtocolError): void;
  /** The waiting GET's connection closed before it was answered: the client is gone. */
  _onpollingclosed(): void;
  /** A response carried `frames` packets, `bytes` long (for the connection's counters). */
  _onwritten(frames: number, bytes: number): void;
}

/* Engine.IO v4 separates the packets of one polling payload with the record separator. */
const RECORD_SEPARATOR = "\x1e";

/** Headers every polling response carries; CORS headers are added by the endpoint. */
const TEXT_HEADERS = { "Content-Type": "text/plain; charset=UTF-8" };

/**
 * Answers a request that breaks the transport's rules with `status` and `{code, message}` (the
 * body of every refused polling request, docs/ERRORS.md), and returns the error for the session.
 */
function refuse(res: ServerResponse, headers: OutgoingHttpHeaders, status: number, err: ProtocolError): ProtocolError {
  if (!res.headersSent) {
    const body = JSON.stringify({ code: err.code, message: err.message });
    res.writeHead(status, { ...headers, "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(body)), Connection: "close" });
    res.end(body);
  }
  return err;
}

/* Engine.IO v4 allows one GET and one POST at a time per session: a second one ends the session. */
function overlapping(method: string): ProtocolError {
  return new ProtocolError(`overlapping ${method} requests`, ErrorCode.BAD_REQUEST, CloseCode.PROTOCOL_ERROR);
}

function tooLarge(maxPayload: number): ProtocolError {
  return new ProtocolError(`a request body may hold at most ${maxPayload} bytes`, ErrorCode.MESSAGE_TOO_BIG, CloseCode.MESSAGE_TOO_BIG);
}

/**
 * How bytes move over HTTP long-polling (Engine.IO v4): the client holds one GET open, which the
 * server answers with every packet queued for it (separated by `\x1e`), and sends its own
 * packets in POST bodies. Packets queued during one tick go out together, in the GET that is
 * waiting or in the next one.
 */
export class PollingTransport {
  readonly name = "polling";
  listener: PollingListener | undefined;
  /** Engine.IO packets waiting for a GET: already encoded text, in order. */
  private readonly queue: string[] = [];
  private queuedBytes = 0;
  private pendingGet: ServerResponse | undefined;
  private pendingGetHeaders: OutgoingHttpHeaders = TEXT_HEADERS;
  private postInProgress = false;
  private flushScheduled = false;
  private closed = false;
  /* When the packets now queued started waiting for a GET (performance.now()); -1 while none wait. */
  private heldSince = -1;

  constructor(private readonly maxPayload: number) {}

  /** Bytes queued and not yet taken by a GET. */
  get bufferedAmount(): number {
    return this.queuedBytes;
  }

  /**
   * Bytes queued for a client that has not come for them: -1 while they have waited for a GET
   * for at most `patienceMs`, all the queued bytes after that. Waiting for the next GET is how
   * long-polling works, so a queue is only judged by its age; a client that fetches its pings
   * comes back within the ping interval.
   */
  stalledBytes(patienceMs: number): number {
    if (this.heldSince < 0 || performance.now() - this.heldSince <= patienceMs) return -1;
    return this.queuedBytes;
  }

  /** Queues encoded Engine.IO packets (`"4..."`, `"2"`, `"b<base64>"` joined by `\x1e`). */
  queuePackets(text: string): void {
    if (this.closed || this.closing) return;
    this.queue.push(text);
    this.queuedBytes += text.length;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      scheduleFlush(this);
    }
  }

  /** The packets queued and not yet sent, in order; the queue is emptied (an upgrade moves them). */
  takeQueued(): string[] {
    const taken = this.queue.splice(0);
    this.queuedBytes = 0;
    this.heldSince = -1;
    return taken;
  }

  /** Answers the waiting GET with what is queued. Called by the write scheduler. */
  flush(): void {
    this.flushScheduled = false;
    if (this.queue.length === 0) return;
    const res = this.pendingGet;
    if (res === undefined) {
      // No GET waiting: the packets wait for the next one, from now (read once, not per packet).
      if (this.heldSince < 0) this.heldSince = performance.now();
      return;
    }
    const body = this.queue.length === 1 ? this.queue[0] : this.queue.join(RECORD_SEPARATOR);
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.heldSince = -1;
    this.respond(res, body);
  }

  private respond(res: ServerResponse, body: string): void {
    this.pendingGet = undefined;
    const bytes = Buffer.byteLength(body);
    res.writeHead(200, { ...this.pendingGetHeaders, "Content-Length": String(bytes) });
    res.end(body);
    this.listener?._onwritten(1, bytes);
  }

  /** A GET: answered at once when packets are queued, else held until some are. */
  onGet(res: ServerResponse, headers: OutgoingHttpHeaders): void {
    if (this.pendingGet !== undefined) {
      this.listener?._onpollingerror(refuse(res, headers, 400, overlapping("GET")));
      return;
    }
    this.pendingGet = res;
    this.pendingGetHeaders = { ...headers, ...TEXT_HEADERS };
    // A GET closed before it was answered means the client is gone (a cut network, a closed
    // tab): the session ends now, as Engine.IO ends it, rather than at the next ping timeout.
    res.once("close", () => {
      if (this.pendingGet !== res) return;
      this.pendingGet = undefined;
      if (!this.closed) this.listener?._onpollingclosed();
    });
    if (this.queue.length > 0) this.flush();
    if (this.closing && this.pendingGet === undefined) {
      this.closed = true;
      this.onTaken?.();
    }
  }

  /** A GET that arrives while the session upgrades: answered with a noop at once (Engine.IO v4, "Upgrade"). */
  answerNoop(res: ServerResponse, headers: OutgoingHttpHeaders): void {
    res.writeHead(200, { ...headers, ...TEXT_HEADERS, "Content-Length": "1" }).end("6");
  }

  /** A POST: its body (at most `maxPayload` bytes) goes to the listener, the client gets "ok". */
  onPost(req: IncomingMessage, res: ServerResponse, headers: OutgoingHttpHeaders): void {
    if (this.postInProgress) {
      this.listener?._onpollingerror(refuse(res, headers, 400, overlapping("POST")));
      return;
    }
    const declared = Number(req.headers["content-length"]);
    if (declared > this.maxPayload) {
      req.resume();
      this.listener?._onpollingerror(refuse(res, headers, 413, tooLarge(this.maxPayload)));
      return;
    }
    this.postInProgress = true;
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on("data", (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > this.maxPayload) {
        done = true;
        this.postInProgress = false;
        chunks.length = 0;
        this.listener?._onpollingerror(refuse(res, headers, 413, tooLarge(this.maxPayload)));
        return;
      }
      chunks.push(chunk);
    });
    req.once("end", () => {
      if (done) return;
      done = true;
      this.postInProgress = false;
      const body = Buffer.concat(chunks, size).toString();
      // The listener decodes; a bad payload answers 400 through `rejectPost` before this "ok".
      this.currentPost = res;
      this.currentPostHeaders = headers;
      this.listener?._onpollingdata(body, size);
      this.currentPost = undefined;
      if (!res.headersSent) res.writeHead(200, { ...headers, ...TEXT_HEADERS, "Content-Length": "2" }).end("ok");
    });
    // An upload the client abandoned (error, or closed before its end) frees the POST slot.
    const abandoned = (): void => {
      if (done) return;
      done = true;
      this.postInProgress = false;
    };
    req.once("error", abandoned);
    req.once("close", abandoned);
  }

  private currentPost: ServerResponse | undefined;
  private currentPostHeaders: OutgoingHttpHeaders = {};

  /** While the listener handles a POST body: answer it with 400 and `body` (a bad payload). */
  rejectPost(body: string): void {
    const res = this.currentPost;
    if (res === undefined || res.headersSent) return;
    res.writeHead(400, { ...this.currentPostHeaders, "Content-Type": "application/json" }).end(body);
  }

  /** Releases a waiting GET with a noop packet (Engine.IO "6"), as an upgrade or a close requires. */
  releaseGet(packet = "6"): void {
    const res = this.pendingGet;
    if (res !== undefined) this.respond(res, packet);
  }

  /**
   * The session ends with `closePacket` (Engine.IO "1") after what is queued. Returns true when a
   * waiting GET took them now; otherwise the next GET will, and `onTaken` is called then.
   */
  closeWhenTaken(closePacket: string): boolean {
    if (this.closed) return true;
    this.queue.push(closePacket);
    this.closing = true;
    if (this.pendingGet === undefined) return false;
    this.flush();
    this.closed = true;
    return true;
  }

  /** Called when a GET took the last packets of a closing session. */
  onTaken: (() => void) | undefined;
  private closing = false;

  /** Closes for good: a waiting GET is released with a noop, the queue dropped. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.releaseGet();
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.heldSince = -1;
  }

  discard(): void {
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.heldSince = -1;
  }
}
