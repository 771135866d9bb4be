import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { Server } from "../../src/index.js";
import { rawUpgrade, type RawUpgrade } from "../support/http-request.js";
import { memoryLogger, startServer, type TestServer } from "../support/server.js";

let server: TestServer | undefined;
const opened: RawUpgrade[] = [];
afterEach(async () => {
  for (const upgrade of opened.splice(0)) upgrade.socket.destroy();
  await server?.close();
  server = undefined;
});

async function upgradeTo(port: number, path: string): Promise<RawUpgrade> {
  const upgrade = await rawUpgrade(port, path);
  opened.push(upgrade);
  return upgrade;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe("destroyUpgrade and destroyUpgradeTimeout (Engine.IO's attach options)", () => {
  it("on the app's HTTP server, an upgrade for a path nobody serves is destroyed after destroyUpgradeTimeout", async () => {
    server = await startServer({ destroyUpgradeTimeout: 150 });
    const upgrade = await upgradeTo(server.port, "/elsewhere");
    await sleep(50);
    expect(upgrade.closed).toBe(false);
    await upgrade.whenClosed;
    expect(upgrade.answered).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
  });

  it("leaves it to the app with destroyUpgrade: false", async () => {
    server = await startServer({ destroyUpgrade: false, destroyUpgradeTimeout: 50 });
    const held: Duplex[] = [];
    server.http.on("upgrade", (_req, socket: Duplex) => held.push(socket));
    const upgrade = await upgradeTo(server.port, "/elsewhere");
    await sleep(200);
    expect(upgrade.closed).toBe(false);
    expect(upgrade.answered).toBe("");
    // the app's to end, and the HTTP server cannot close while it is open
    for (const socket of held) socket.destroy();
  });

  it("keeps an upgrade another listener of the app answered", async () => {
    server = await startServer({ destroyUpgradeTimeout: 50 });
    const other = new WebSocketServer({ noServer: true });
    server.http.on("upgrade", (req, socket, head) => {
      if (req.url === "/other") other.handleUpgrade(req, socket, head, () => {});
    });
    const upgrade = await upgradeTo(server.port, "/other");
    await sleep(200);
    expect(upgrade.answered).toMatch(/^HTTP\/1\.1 101/);
    expect(upgrade.closed).toBe(false);
    other.close();
  });

  it("on a server roomcast created itself, destroys it at once (nobody else can answer)", async () => {
    const io = new Server(0, { logger: memoryLogger(), destroyUpgradeTimeout: 5000 });
    await sleep(20);
    const upgrade = await upgradeTo((io.httpServer?.address() as AddressInfo).port, "/elsewhere");
    await upgrade.whenClosed;
    await io.close();
  });
});
