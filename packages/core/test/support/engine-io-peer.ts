import WebSocket from "ws";

/*
 * Bare Engine.IO v4 peers for conformance tests: a WebSocket that records every frame as it
 * arrives, and long-polling requests made with Node's fetch. Nothing here knows Socket.IO: tests
 * write and read the exact bytes the specifications describe.
 */

/** A frame as received: text frames as strings, binary frames as Buffers. */
export type Frame = string | Buffer;

export interface Closed {
  code: number;
  reason: string;
}

const WAIT = 2000;

/** A raw WebSocket to the Socket.IO endpoint that queues what it receives. */
export class EngineIoSocket {
  readonly ws: WebSocket;
  /** Every frame received, in order; `next()` consumes them from `read`. */
  readonly frames: Frame[] = [];
  private read = 0;
  private wake: (() => void) | undefined;
  /** Settles with the close code once the WebSocket closed (also after a refused upgrade). */
  readonly closed: Promise<Closed>;
  /** Resolves when the upgrade succeeded; rejects with the HTTP status when it was refused. */
  readonly opened: Promise<void>;
  /** The refused upgrade's status and body, if it was refused. */
  refusal: { status: number; body: string } | undefined;
  /** Answer "2" with "3" as it arrives (pings are still recorded). */
  autoPong = false;
  isClosed = false;

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on("error", () => {});
    this.closed = new Promise((resolve) => {
      this.ws.on("close", (code, reason) => {
        this.isClosed = true;
        resolve({ code, reason: reason.toString() });
        this.wake?.();
      });
    });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once("open", () => resolve());
      this.ws.once("unexpected-response", (_req, res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => (body += chunk.toString()));
        res.on("end", () => {
          this.refusal = { status: res.statusCode ?? 0, body };
          reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode, body }));
          // with an "unexpected-response" listener, ws leaves ending the attempt to its caller
          this.ws.terminate();
        });
      });
      this.ws.once("close", () => reject(new Error("closed before opening")));
    });
    // A refusal is often the expected outcome: callers await `opened` when they care.
    this.opened.catch(() => {});
    this.ws.on("message", (data: Buffer, isBinary: boolean) => {
      const frame = isBinary ? data : data.toString();
      if (this.autoPong && frame === "2") this.send("3");
      this.frames.push(frame);
      this.wake?.();
    });
  }

  /** Opens a WebSocket session (`EIO=4&transport=websocket`, plus `query`). */
  static open(wsBase: string, query = ""): EngineIoSocket {
    return new EngineIoSocket(`${wsBase}?EIO=4&transport=websocket${query}`);
  }

  /** Opens a session and reads its open packet. */
  static async session(wsBase: string): Promise<{ socket: EngineIoSocket; open: OpenPacket }> {
    const socket = EngineIoSocket.open(wsBase);
    const first = await socket.next();
    if (typeof first !== "string" || first[0] !== "0") throw new Error(`expected an open packet, got ${String(first)}`);
    return { socket, open: JSON.parse(first.slice(1)) as OpenPacket };
  }

  /** Opens a session and joins the main namespace; the CONNECT reply and the "auth" event are consumed. */
  static async joined(wsBase: string): Promise<EngineIoSocket> {
    const { socket } = await EngineIoSocket.session(wsBase);
    socket.autoPong = true;
    socket.send("40");
    await socket.nextMessage();
    await socket.nextMessage();
    return socket;
  }

  send(frame: string | Uint8Array): void {
    this.ws.send(frame);
  }

  /** The next frame not yet consumed; rejects after `timeout` ms or when the socket closed first. */
  async next(timeout = WAIT): Promise<Frame> {
    const deadline = Date.now() + timeout;
    while (this.read >= this.frames.length) {
      if (this.isClosed) throw new Error("closed while a frame was awaited");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no frame within ${timeout} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
    return this.frames[this.read++];
  }

  /** The next frame that is not a ping. */
  async nextMessage(timeout = WAIT): Promise<Frame> {
    for (;;) {
      const frame = await this.next(timeout);
      if (frame !== "2") return frame;
    }
  }

  /** Resolves with the close once the socket is closed, or rejects after `timeout` ms. */
  async waitClosed(timeout = WAIT): Promise<Closed> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`still open after ${timeout} ms`)), timeout);
    });
    try {
      return await Promise.race([this.closed, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
    else this.ws.close();
  }
}

/** The JSON of an Engine.IO v4 open packet. */
export interface OpenPacket {
  sid: string;
  upgrades: string[];
  pingInterval: number;
  pingTimeout: number;
  maxPayload: number;
}

export interface HttpReply {
  status: number;
  body: string;
  headers: Headers;
}

/** One HTTP request to the endpoint; every request gives up after `timeout` ms. */
export async function request(url: string, init: RequestInit = {}, timeout = WAIT): Promise<HttpReply> {
  const res = await fetch(url, { ...init, signal: init.signal ?? AbortSignal.timeout(timeout) });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

/** Long-polling requests of one session, by sid. */
export class PollingSession {
  constructor(
    readonly httpBase: string,
    readonly sid: string,
    readonly open: OpenPacket,
  ) {}

  /** Opens a long-polling session with a handshake GET. */
  static async start(httpBase: string): Promise<PollingSession> {
    const reply = await request(`${httpBase}?EIO=4&transport=polling`);
    if (reply.status !== 200 || reply.body[0] !== "0") throw new Error(`handshake failed: ${reply.status} ${reply.body}`);
    const open = JSON.parse(reply.body.slice(1)) as OpenPacket;
    return new PollingSession(httpBase, open.sid, open);
  }

  get url(): string {
    return `${this.httpBase}?EIO=4&transport=polling&sid=${encodeURIComponent(this.sid)}`;
  }

  get(timeout = WAIT, extra = ""): Promise<HttpReply> {
    return request(this.url + extra, {}, timeout);
  }

  post(body: string | Uint8Array, timeout = WAIT): Promise<HttpReply> {
    return request(this.url, { method: "POST", body }, timeout);
  }

  /** GETs until a payload other than a lone ping arrives, answering pings; returns its packets. */
  async nextPackets(timeout = WAIT): Promise<string[]> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const reply = await this.get(Math.max(1, deadline - Date.now()));
      if (reply.status !== 200) throw new Error(`GET answered ${reply.status}: ${reply.body}`);
      const packets = reply.body.split("\x1e").filter((packet) => packet !== "2");
      if (packets.length < reply.body.split("\x1e").length) await this.post("3");
      if (packets.length > 0) return packets;
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
