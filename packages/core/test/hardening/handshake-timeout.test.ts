import { createServer, type Server as HttpServer } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_OPTIONS, Server, resolveOptions, type ServerOptionsInput } from "../../src/index.js";
import { RawClient } from "../support/raw-client.js";
import { memoryLogger } from "../support/server.js";

/** A raw TCP client that sends a request a piece at a time and never ends its header block on its own. */
interface Trickle {
  socket: Socket;
  /** What the server answered so far. */
  answered: string;
  /** Milliseconds from the first byte sent to the server closing the connection; undefined while open. */
  closedAfter: number | undefined;
  whenClosed: Promise<void>;
  /** Stops trickling and sends `rest` (the end of the request). */
  finish(rest: string): void;
}

/**
 * Connects to 127.0.0.1:`port`, sends `pieces[0]` at once and each next piece `every` ms later;
 * after the last piece, keeps sending a made-up header line every `every` ms, as a slowloris does.
 */
function trickle(port: number, pieces: string[], every: number): Promise<Trickle> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let onClose: () => void = () => {};
    let started = 0;
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    const state: Trickle = {
      socket,
      answered: "",
      closedAfter: undefined,
      whenClosed: new Promise((done) => (onClose = done)),
      finish(rest) {
        clearInterval(timer);
        socket.write(rest);
      },
    };
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => (state.answered += chunk));
    socket.on("error", () => {});
    socket.on("close", () => {
      clearInterval(timer);
      state.closedAfter = Date.now() - started;
      onClose();
    });
    socket.on("connect", () => {
      started = Date.now();
      socket.write(pieces[sent++]);
      timer = setInterval(() => {
        if (socket.destroyed) return;
        socket.write(sent < pieces.length ? pieces[sent++] : `X-Slow-${sent++}: 1\r\n`);
      }, every);
      resolve(state);
    });
  });
}

const UPGRADE_HEADERS = "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const opened: { io: Server; http: HttpServer; sockets: Socket[] }[] = [];

/** The app's own HTTP server (a route answering "app"), with roomcast attached, on 127.0.0.1. */
async function appServer(options: ServerOptionsInput): Promise<{ io: Server; port: number; track: (t: Trickle) => Trickle }> {
  const http = createServer((req, res) => res.end(`app ${req.url ?? ""}`));
  const io = new Server(http, { logger: memoryLogger(), ...options });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const entry = { io, http, sockets: [] as Socket[] };
  opened.push(entry);
  const track = (t: Trickle): Trickle => {
    entry.sockets.push(t.socket);
    return t;
  };
  return { io, port: (http.address() as AddressInfo).port, track };
}

afterEach(async () => {
  for (const { io, sockets } of opened.splice(0)) {
    for (const socket of sockets) socket.destroy();
    await io.close();
  }
});

describe("handshakeTimeout", () => {
  it("is 10 s by default, and checked", () => {
    expect(DEFAULT_OPTIONS.handshakeTimeout).toBe(10_000);
    expect(() => resolveOptions({ handshakeTimeout: "10s" as never })).toThrow(/option "handshakeTimeout" must be a number of milliseconds/);
    expect(() => resolveOptions({ handshakeTimeout: -1 })).toThrow(TypeError);
  });

  it("cuts an upgrade to roomcast's path whose headers trickle in, on the app's own HTTP server, with 408", async () => {
    const { io, port, track } = await appServer({ handshakeTimeout: 300 });
    const slow = track(await trickle(port, [`GET /roomcast HTTP/1.1\r\nHost: x\r\n${UPGRADE_HEADERS}`], 50));
    await slow.whenClosed;
    expect(slow.closedAfter).toBeGreaterThanOrEqual(250);
    expect(slow.closedAfter).toBeLessThan(2000);
    expect(slow.answered).toMatch(/^HTTP\/1\.1 408 /);
    expect(io.metrics.handshakeTimeouts).toBe(1);
  });

  it("cuts a long-polling request to the Socket.IO endpoint whose headers trickle in", async () => {
    const { io, port, track } = await appServer({ handshakeTimeout: 300, socketio: true });
    const slow = track(await trickle(port, ["GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n"], 50));
    await slow.whenClosed;
    expect(slow.closedAfter).toBeLessThan(2000);
    expect(io.metrics.handshakeTimeouts).toBe(1);
  });

  it("cuts a request line that trickles in while it can still name roomcast's path", async () => {
    const { port, track } = await appServer({ handshakeTimeout: 300 });
    const slow = track(await trickle(port, [..."GET /roomcast HTTP/1.1\r\n"], 60));
    await slow.whenClosed;
    expect(slow.closedAfter).toBeLessThan(1000);
  });

  it("leaves the app's own routes alone, however slowly their headers come, even a path that starts like roomcast's", async () => {
    const { io, port, track } = await appServer({ handshakeTimeout: 200 });
    const app = track(await trickle(port, ["GET /app HTTP/1.1\r\nHost: x\r\n"], 50));
    const lookalike = track(await trickle(port, ["GET /roomcastle HTTP/1.1\r\nHost: x\r\n"], 50));
    // a request line cut short, then slow: as soon as it cannot be roomcast's, it is the app's
    const split = track(await trickle(port, ["GET /ro", "ute HTTP/1.1\r\nHost: x\r\n"], 50));
    await sleep(700);
    for (const t of [app, lookalike, split]) {
      expect(t.closedAfter).toBeUndefined();
      t.finish("Connection: close\r\n\r\n");
    }
    await Promise.all([app.whenClosed, lookalike.whenClosed, split.whenClosed]);
    expect(app.answered).toMatch(/^HTTP\/1\.1 200 [\s\S]*app \/app$/);
    expect(lookalike.answered).toMatch(/app \/roomcastle$/);
    expect(split.answered).toMatch(/app \/route$/);
    expect(io.metrics.handshakeTimeouts).toBe(0);
  });

  it("does not touch a handshake that completed in time, nor the WebSocket it opened", async () => {
    const { io, port } = await appServer({ handshakeTimeout: 200 });
    const client = await RawClient.connect(`ws://127.0.0.1:${port}/roomcast`);
    await sleep(500);
    expect(client.closeInfo).toBeUndefined();
    await client.joinOk("/");
    client.close();
    expect(io.metrics.handshakeTimeouts).toBe(0);
  });

  it("on a server roomcast created, also cuts a connection that sends nothing", async () => {
    const io = new Server(0, { logger: memoryLogger(), handshakeTimeout: 300 });
    const http = io.httpServer as HttpServer;
    const entry = { io, http, sockets: [] as Socket[] };
    opened.push(entry);
    if (!http.listening) await new Promise((resolve) => http.once("listening", resolve));
    const port = (http.address() as AddressInfo).port;
    const silent = connect(port, "127.0.0.1");
    entry.sockets.push(silent);
    silent.on("error", () => {});
    // reads what comes (the 408), or "close" would wait for it to be read
    silent.resume();
    const started = Date.now();
    await new Promise((resolve) => silent.once("close", resolve));
    expect(Date.now() - started).toBeLessThan(2000);
    const slow = await trickle(port, ["GET /anything HTTP/1.1\r\nHost: x\r\n"], 50);
    entry.sockets.push(slow.socket);
    await slow.whenClosed;
    expect(slow.closedAfter).toBeLessThan(2000);
    expect(io.metrics.handshakeTimeouts).toBe(2);
  });

  it("0 turns it off", async () => {
    const { io, port, track } = await appServer({ handshakeTimeout: 0 });
    const slow = track(await trickle(port, [`GET /roomcast HTTP/1.1\r\nHost: x\r\n${UPGRADE_HEADERS}`], 50));
    await sleep(500);
    expect(slow.closedAfter).toBeUndefined();
    expect(io.metrics.handshakeTimeouts).toBe(0);
  });
});
