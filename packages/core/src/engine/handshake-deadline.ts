import type { Server as HttpServer } from "node:http";
import type { Duplex } from "node:stream";
import { Server as TlsServer } from "node:tls";

/** What Node answers to a request whose headers came too late (its own `headersTimeout`). */
const TIMEOUT_RESPONSE = "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";

/* Longer than any method Node's parser accepts: a request line with no space by then is not ours. */
const MAX_METHOD_LENGTH = 24;

const CR = 13;
const LF = 10;

/** Whose request a connection's first request line is, as far as its bytes so far tell. */
type Verdict = "ours" | "theirs" | "undecided";

/**
 * Reads the request line received so far (`METHOD SP request-target …`) the way the HTTP edge
 * routes it: the path is the request-target up to "?" and must equal one of `paths`.
 */
function classify(line: string, paths: readonly string[]): Verdict {
  const space = line.indexOf(" ");
  if (space === -1) return line.length > MAX_METHOD_LENGTH ? "theirs" : "undecided";
  let end = space + 1;
  while (end < line.length) {
    const c = line.charCodeAt(end);
    if (c === 0x3f /* ? */ || c === 0x20 || c === CR || c === LF) break;
    end++;
  }
  const path = line.slice(space + 1, end);
  if (end < line.length) return paths.includes(path) ? "ours" : "theirs";
  return paths.some((candidate) => candidate.startsWith(path)) ? "undecided" : "theirs";
}

function expire(watch: Watch): void {
  watch.expire();
}

/** One connection whose first request has not completed its headers yet. */
class Watch {
  private line = "";
  private timer: NodeJS.Timeout | undefined;
  private ended = false;

  constructor(
    private readonly deadline: HandshakeDeadline,
    readonly socket: Duplex,
    /** The longest request line `classify` needs to decide. */
    private readonly cap: number,
  ) {}

  /** Starts the clock now (on a server where every request is ours, from the connection's opening). */
  start(): void {
    this.timer ??= setTimeout(expire, this.deadline.timeout, this);
    // a cut-off slowloris is no reason to keep the process alive
    this.timer.unref();
  }

  /**
   * Bytes of the connection's first request. The clock starts at the first byte; reading stops as
   * soon as the request line says whose request it is. Node's own `data` listener ran first, so
   * the request may already be settled.
   */
  readonly onData = (chunk: Buffer): void => {
    if (this.ended) return;
    let from = 0;
    // empty lines before a request line are allowed, and say nothing about it
    if (this.line.length === 0) while (from < chunk.length && (chunk[from] === CR || chunk[from] === LF)) from++;
    this.line += chunk.toString("latin1", from, Math.min(chunk.length, from + this.cap - this.line.length));
    const verdict = this.line.length === 0 ? "undecided" : classify(this.line, this.deadline.paths);
    if (verdict === "theirs") {
      this.end();
      return;
    }
    if (verdict === "ours") this.socket.off("data", this.onData);
    this.start();
  };

  /** The request's headers are complete, or the connection is gone: nothing more to watch. */
  readonly end = (): void => {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.timer);
    this.socket.off("data", this.onData);
    this.socket.off("close", this.end);
    this.deadline.forget(this.socket);
  };

  /** Past the deadline, and the request is (or may still turn out to be) ours. */
  expire(): void {
    if (this.ended) return;
    this.end();
    this.deadline.onTimeout();
    const socket = this.socket;
    if (socket.writable) socket.write(TIMEOUT_RESPONSE);
    socket.destroy();
  }
}

/**
 * Option `handshakeTimeout`: a request to one of the endpoints must complete its headers within
 * that many ms of its first byte, or it is answered 408 and closed, so a peer that trickles its
 * headers (slowloris) holds a socket for seconds, not for Node's 60 s `headersTimeout`.
 *
 * Node's `headersTimeout` and `requestTimeout` cannot do this: they are per HTTP server, so on an
 * app's server they would apply to the app's routes too, and are checked only every
 * `connectionsCheckingInterval` (30 s by default). And Node reports nothing of a request before
 * its headers are complete. So each new connection is watched from the `connection` event: its
 * first bytes are read as they arrive, and the request line, which comes first, says whether the
 * request is for an endpoint. If not, the connection is left alone at once (the app's routes are
 * the app's business); if so, or while the line could still name an endpoint, the clock runs
 * until the edge receives the request. On a server roomcast created every request is ours: the
 * clock starts with the connection and no bytes are read.
 *
 * Reading the first bytes means Node parses that connection's HTTP in JavaScript rather than
 * natively; `handshakeTimeout: 0` leaves the app's server untouched. Only a connection's first
 * request is watched: an HTTP client opens a connection of its own for a WebSocket, and a request
 * sent on a kept-alive connection has Node's `headersTimeout`.
 */
export class HandshakeDeadline {
  private readonly watched = new WeakMap<Duplex, Watch>();
  private server: HttpServer | undefined;
  private everyRequest = false;
  private readonly cap: number;

  constructor(
    /** Milliseconds; 0 turns the deadline off. */
    readonly timeout: number,
    /** The endpoints' paths, exactly as the edge routes them (before any "?"). */
    readonly paths: readonly string[],
    /** Called for each request cut off (the edge counts it). */
    readonly onTimeout: () => void,
  ) {
    this.cap = MAX_METHOD_LENGTH + 2 + Math.max(...paths.map((path) => path.length));
  }

  /** Watches the new connections of `server`; `everyRequest` when roomcast created it (every path is ours). */
  watch(server: HttpServer, everyRequest: boolean): void {
    if (this.timeout === 0) return;
    this.server = server;
    this.everyRequest = everyRequest;
    server.on(connectionEvent(server), this.onConnection);
  }

  unwatch(): void {
    const server = this.server;
    if (server === undefined) return;
    server.off(connectionEvent(server), this.onConnection);
    this.server = undefined;
  }

  /** A request on `socket` reached the edge: its headers are complete, the deadline no longer applies. */
  settle(socket: Duplex): void {
    this.watched.get(socket)?.end();
  }

  /** @internal */
  forget(socket: Duplex): void {
    this.watched.delete(socket);
  }

  private readonly onConnection = (socket: Duplex): void => {
    const watch = new Watch(this, socket, this.cap);
    this.watched.set(socket, watch);
    socket.once("close", watch.end);
    if (this.everyRequest) watch.start();
    else socket.on("data", watch.onData);
  };
}

/** Node's HTTP parser serves a TLS server's sockets once decrypted, from `secureConnection`. */
function connectionEvent(server: HttpServer): "connection" | "secureConnection" {
  return server instanceof TlsServer ? "secureConnection" : "connection";
}
