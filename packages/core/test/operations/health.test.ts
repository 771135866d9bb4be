import { once } from "node:events";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createHealthHandler, Server } from "../../src/index.js";

describe("io.health()", () => {
  it("is live but not ready before the HTTP server listens", async () => {
    const io = new Server();
    expect(io.health()).toEqual({ live: true, ready: false, reasons: ["not listening"] });
    io.attach(0);
    await once(io.httpServer!, "listening");
    expect(io.health()).toEqual({ live: true, ready: true, reasons: [] });
    await io.close();
    expect(io.health()).toEqual({ live: false, ready: false, reasons: ["server closed"] });
  });
});

describe("createHealthHandler", () => {
  let httpServer: HttpServer | undefined;
  let io: Server | undefined;
  afterEach(async () => {
    await io?.close();
    httpServer?.close();
  });

  async function serve(options?: Parameters<typeof createHealthHandler>[1]): Promise<{ base: string; fallthrough: string[] }> {
    const fallthrough: string[] = [];
    httpServer = createServer((req, res) => {
      if (health(req, res, () => fallthrough.push(req.url ?? ""))) return;
      res.writeHead(404).end();
    });
    io = new Server(httpServer);
    const health = createHealthHandler(io, options);
    httpServer.listen(0, "127.0.0.1");
    await once(httpServer, "listening");
    return { base: `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`, fallthrough };
  }

  it("answers /healthz and /readyz with the report as JSON, never cached", async () => {
    const { base } = await serve();
    for (const path of ["/healthz", "/readyz", "/readyz?verbose=1"]) {
      const response = await fetch(base + path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get("content-type")).toBe("application/json");
      expect(response.headers.get("cache-control")).toBe("no-store");
      expect(await response.json()).toEqual({ live: true, ready: true, reasons: [] });
    }
    const head = await fetch(`${base}/readyz`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });

  it("refuses other methods with 405 and leaves other paths to the application", async () => {
    const { base, fallthrough } = await serve();
    const post = await fetch(`${base}/readyz`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    expect((await fetch(`${base}/other`)).status).toBe(404);
    expect(fallthrough).toEqual(["/other"]);
  });

  it("serves the paths it is given", async () => {
    const { base } = await serve({ livePath: "/live", readyPath: "/ready" });
    expect((await fetch(`${base}/live`)).status).toBe(200);
    expect((await fetch(`${base}/ready`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(404);
  });

  it("refuses unknown options and paths that are not paths", () => {
    const server = new Server();
    expect(() => createHealthHandler(server, { path: "/health" } as never)).toThrow('unknown option "path" of createHealthHandler; it accepts "livePath", "readyPath"');
    expect(() => createHealthHandler(server, { readyPath: "readyz" })).toThrow(/option "readyPath" must be a path starting with "\/"/);
    expect(() => createHealthHandler(server, { livePath: "/z", readyPath: "/z" })).toThrow(/must differ/);
    return server.close();
  });
});
