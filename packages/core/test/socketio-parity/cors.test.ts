import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import corsMiddleware from "cors";
import { afterEach, describe, expect, it } from "vitest";
import { ErrorCode } from "@roomcast/protocol";
import { resolveOptions, type ServerOptionsInput } from "../../src/index.js";
import { applyCors } from "../../src/transport/cors-policy.js";
import { corsHeadersOf, httpAnswer } from "../support/http-request.js";
import { RawClient } from "../support/raw-client.js";
import { memoryLogger, startServer, type TestServer } from "../support/server.js";

const REFUSED = { code: ErrorCode.ORIGIN_REJECTED, message: "origin not allowed" };

/** Opens a roomcast WebSocket with that `Origin` (none when undefined): "open", or the refusal's status and body. */
async function upgrade(server: TestServer, origin?: string): Promise<"open" | { status: number; body: unknown }> {
  try {
    const client = await RawClient.connect(server.url, { headers: origin === undefined ? {} : { origin } });
    client.close();
    return "open";
  } catch (err) {
    const { status, body } = err as { status: number; body: string };
    return { status, body: JSON.parse(body) as unknown };
  }
}

const listening: HttpServer[] = [];

/** An HTTP server on 127.0.0.1 whose requests go through `handler`. */
async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<number> {
  const http = createServer(handler);
  listening.push(http);
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return (http.address() as AddressInfo).port;
}

/** A long-polling responder: applyCors, then "ok" with the CORS headers it handed back. */
function pollingServer(cors: ServerOptionsInput["cors"], logger = memoryLogger()): Promise<number> {
  const options = resolveOptions({ cors, logger });
  return listen((req, res) =>
    applyCors(options, req, res, (result) => {
      if (result.answered) return;
      res.writeHead(200, result.headers);
      res.end("ok");
    }),
  );
}

/** The same responder on the `cors` package itself, as Socket.IO runs it. */
function referenceServer(cors: Parameters<typeof corsMiddleware>[0]): Promise<number> {
  const middleware = corsMiddleware(cors);
  return listen((req, res) =>
    middleware(req, res, () => {
      res.writeHead(200);
      res.end("ok");
    }),
  );
}

afterEach(async () => {
  for (const http of listening.splice(0)) {
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  }
});

describe("cors", () => {
  describe("the WebSocket upgrade's Origin", () => {
    let server: TestServer | undefined;
    afterEach(async () => {
      await server?.close();
      server = undefined;
    });

    it("accepts every origin without cors (Socket.IO's default)", async () => {
      server = await startServer();
      expect(await upgrade(server, "https://anywhere.example")).toBe("open");
      expect(await upgrade(server)).toBe("open");
    });

    it("origin string: that origin only; others get 403 ERR_ORIGIN_REJECTED; non-browsers (no Origin) pass", async () => {
      server = await startServer({ cors: { origin: "https://app.example" } });
      expect(await upgrade(server, "https://app.example")).toBe("open");
      expect(await upgrade(server, "https://evil.example")).toEqual({ status: 403, body: REFUSED });
      expect(await upgrade(server)).toBe("open");
      expect(server.io.metrics.upgradesRejected).toBe(1);
    });

    it("origin array of strings and RegExps, including a /g RegExp asked twice", async () => {
      server = await startServer({ cors: { origin: ["https://a.example", /^https:\/\/[a-z]+\.b\.example$/g] } });
      expect(await upgrade(server, "https://a.example")).toBe("open");
      expect(await upgrade(server, "https://x.b.example")).toBe("open");
      expect(await upgrade(server, "https://x.b.example")).toBe("open");
      expect(await upgrade(server, "https://c.example")).toMatchObject({ status: 403 });
    });

    it('origin true, "*" and cors: {} accept every origin', async () => {
      for (const cors of [{ origin: true }, { origin: "*" }, {}]) {
        server = await startServer({ cors });
        expect(await upgrade(server, "https://anywhere.example"), JSON.stringify(cors)).toBe("open");
        await server.close();
        server = undefined;
      }
    });

    it("origin false refuses every browser origin", async () => {
      server = await startServer({ cors: { origin: false } });
      expect(await upgrade(server, "https://app.example")).toMatchObject({ status: 403 });
      expect(await upgrade(server)).toBe("open");
    });

    it("origin function: called once per upgrade with the Origin; false, an error or a throw refuse", async () => {
      const seen: (string | undefined)[] = [];
      const logger = memoryLogger();
      server = await startServer({
        logger,
        cors: {
          origin: (origin, callback) => {
            seen.push(origin);
            if (origin === "https://throws.example") throw new Error("bug");
            if (origin === "https://error.example") return callback(new Error("Not allowed by CORS"));
            // answers later, as a lookup in a database would
            setTimeout(() => callback(null, origin === undefined || origin.endsWith(".ok.example")), 5);
          },
        },
      });
      expect(await upgrade(server, "https://a.ok.example")).toBe("open");
      expect(await upgrade(server, "https://nope.example")).toMatchObject({ status: 403 });
      expect(await upgrade(server, "https://error.example")).toEqual({ status: 403, body: REFUSED });
      expect(await upgrade(server, "https://throws.example")).toEqual({ status: 403, body: REFUSED });
      expect(await upgrade(server)).toBe("open");
      expect(seen).toEqual(["https://a.ok.example", "https://nope.example", "https://error.example", "https://throws.example", undefined]);
      expect(logger.errors).toHaveLength(1);
    });

    it("origin function answering an origin (not a boolean) allows exactly what that answer allows", async () => {
      server = await startServer({ cors: { origin: (_origin, callback) => callback(null, ["https://listed.example"]) } });
      expect(await upgrade(server, "https://listed.example")).toBe("open");
      expect(await upgrade(server, "https://other.example")).toMatchObject({ status: 403 });
    });

    it("a delegate (req, callback) chooses the options per request", async () => {
      server = await startServer({
        cors: (req, callback) => callback(null, { origin: req.headers["x-tenant"] === "a" ? "https://a.example" : "https://b.example" }),
      });
      const open = await RawClient.connect(server.url, { headers: { origin: "https://a.example", "x-tenant": "a" } });
      open.close();
      await expect(RawClient.connect(server.url, { headers: { origin: "https://a.example", "x-tenant": "b" } })).rejects.toMatchObject({ status: 403 });
    });

    it("allowedOrigins is the same check under roomcast's name", async () => {
      server = await startServer({ allowedOrigins: ["https://app.example"] });
      expect(await upgrade(server, "https://app.example")).toBe("open");
      expect(await upgrade(server, "https://evil.example")).toEqual({ status: 403, body: REFUSED });
      expect(await upgrade(server)).toBe("open");
    });
  });

  describe("applyCors for long-polling responses", () => {
    it("without cors: no CORS headers, and every request (a preflight too) goes on", async () => {
      const port = await pollingServer(undefined);
      const get = await httpAnswer(port, "GET", "/", { origin: "https://app.example" });
      expect(get.status).toBe(200);
      expect(corsHeadersOf(get)).toEqual({});
      expect((await httpAnswer(port, "OPTIONS", "/", { origin: "https://app.example" })).body).toBe("ok");
    });

    const preflight = { origin: "https://app.example", "access-control-request-method": "POST", "access-control-request-headers": "x-token, content-type" };
    const cases: [string, Parameters<typeof corsMiddleware>[0] & object][] = [
      ["every origin", {}],
      ["one origin", { origin: "https://app.example" }],
      ["a list, credentials and exposed headers", { origin: ["https://other.example", /app\.example$/], credentials: true, exposedHeaders: ["X-Id", "X-Seq"] }],
      ["reflected origin, methods, allowed headers, max age", { origin: true, methods: ["GET", "POST"], allowedHeaders: "X-Token", maxAge: 600 }],
      ["an origin function and optionsSuccessStatus", { origin: (origin: string | undefined, cb: (err: Error | null, allow?: boolean) => void) => cb(null, origin !== "https://evil.example"), optionsSuccessStatus: 200 }],
    ];

    it.each(cases)("%s: the same status and Access-Control-* headers as the cors package", async (_name, cors) => {
      const ours = await pollingServer(cors as ServerOptionsInput["cors"]);
      const reference = await referenceServer(cors);
      for (const [method, headers] of [
        ["GET", { origin: "https://app.example" }],
        ["POST", { origin: "https://app.example" }],
        ["OPTIONS", preflight],
        ["GET", {}],
      ] as const) {
        const [a, b] = [await httpAnswer(ours, method, "/", headers), await httpAnswer(reference, method, "/", headers)];
        expect(a.status, `${method} ${JSON.stringify(headers)}`).toBe(b.status);
        expect(corsHeadersOf(a), `${method} ${JSON.stringify(headers)}`).toEqual(corsHeadersOf(b));
      }
    });

    it("a refused origin gets 403 ERR_ORIGIN_REJECTED, its preflight too", async () => {
      const port = await pollingServer({ origin: ["https://app.example"] });
      for (const method of ["GET", "POST", "OPTIONS"]) {
        const answer = await httpAnswer(port, method, "/", { ...preflight, origin: "https://evil.example" });
        expect(answer.status, method).toBe(403);
        expect(JSON.parse(answer.body), method).toEqual(REFUSED);
        expect(answer.headers["access-control-allow-origin"]).toBeUndefined();
      }
    });

    it("a delegate answering unknown options refuses the request and logs why", async () => {
      const logger = memoryLogger();
      const port = await pollingServer((_req, callback) => callback(null, { origins: "*" } as never), logger);
      expect((await httpAnswer(port, "GET", "/", { origin: "https://app.example" })).status).toBe(403);
      expect(String(logger.errors[0])).toMatch(/unknown option "cors \(from the delegate\)\.origins"/);
    });
  });

  describe("through the Socket.IO endpoint", () => {
    let server: TestServer | undefined;
    afterEach(async () => {
      await server?.close();
      server = undefined;
    });

    it("a polling handshake carries the CORS headers; a refused origin gets 403, as its WebSocket would", async () => {
      server = await startServer({
        socketio: { path: "/socket.io/", polling: true },
        transports: ["polling", "websocket"],
        cors: { origin: "https://app.example", credentials: true },
      });
      const path = "/socket.io/?EIO=4&transport=polling";
      const ok = await httpAnswer(server.port, "GET", path, { origin: "https://app.example" });
      expect(ok.status).toBe(200);
      expect(ok.headers).toMatchObject({ "access-control-allow-origin": "https://app.example", "access-control-allow-credentials": "true" });
      const pre = await httpAnswer(server.port, "OPTIONS", path, { origin: "https://app.example", "access-control-request-method": "POST" });
      expect(pre.status).toBe(204);
      const refused = await httpAnswer(server.port, "GET", path, { origin: "https://evil.example" });
      expect(refused.status).toBe(403);
      expect(JSON.parse(refused.body)).toEqual(REFUSED);
    });
  });
});
