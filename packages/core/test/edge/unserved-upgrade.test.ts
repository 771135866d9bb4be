import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { Server } from "../../src/index.js";

/**
 * On an app's own HTTP server, an upgrade for a path nobody serves used to hang until the
 * client's connect timeout. Like Socket.IO (`destroyUpgrade`, `destroyUpgradeTimeout`), the
 * server now answers it 404 and closes it, so the client fails at once.
 */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function appServer(options: Record<string, unknown>): Promise<{ http: HttpServer; url: string }> {
  const http = createServer((_req, res) => res.writeHead(200).end("app page"));
  const io = new Server(http, options);
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => io.close());
  return { http, url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}` };
}

/** Opens a WebSocket and resolves with how it ended: the HTTP status ws saw, and after how long. */
function upgrade(url: string): Promise<{ status: number | undefined; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    let status: number | undefined;
    ws.on("unexpected-response", (_req, res) => {
      status = res.statusCode;
      res.resume();
      res.once("end", () => resolve({ status, ms: performance.now() - started }));
    });
    ws.on("error", () => resolve({ status, ms: performance.now() - started }));
    ws.on("open", () => {
      ws.close();
      resolve({ status: 101, ms: performance.now() - started });
    });
  });
}

describe("an upgrade for a path no one serves", () => {
  it("is answered 404 within about destroyUpgradeTimeout, while the served path still upgrades", async () => {
    const { url } = await appServer({ destroyUpgradeTimeout: 300 });
    const wrong = await upgrade(`${url}/not-here`);
    expect(wrong.status).toBe(404);
    expect(wrong.ms).toBeGreaterThanOrEqual(250);
    expect(wrong.ms).toBeLessThan(2000);
    expect((await upgrade(`${url}/roomcast`)).status).toBe(101);
  });

  it("is left to the app's own upgrade listener when it answers first", async () => {
    const { http, url } = await appServer({ destroyUpgradeTimeout: 200 });
    http.on("upgrade", (req, socket) => {
      if (req.url === "/app-ws") socket.end("HTTP/1.1 418 I'm a teapot\r\nContent-Length: 0\r\n\r\n");
    });
    expect((await upgrade(`${url}/app-ws`)).status).toBe(418);
  });

  it("is left alone with destroyUpgrade: false", async () => {
    const { http, url } = await appServer({ destroyUpgrade: false, destroyUpgradeTimeout: 100 });
    // With destroyUpgrade off, unclaimed upgrades are the app's to end; this one ends them after the check.
    const unclaimed: Duplex[] = [];
    http.on("upgrade", (_req, socket: Duplex) => unclaimed.push(socket));
    const ws = new WebSocket(`${url}/not-here`);
    let ended = false;
    for (const event of ["unexpected-response", "error", "open", "close"]) ws.on(event, () => (ended = true));
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(ended).toBe(false);
    ws.terminate();
    for (const socket of unclaimed) socket.destroy();
  });
});
