import { afterEach, describe, expect, it } from "vitest";
import { ClientPool, once, waitFor } from "./support/clients.js";
import { startServer, type TestServer } from "./support/server.js";

/** A token service: every token expires when the server it was issued for restarts. */
class TokenService {
  private issued = 0;
  readonly valid = new Set<string>();
  issue(): string {
    const token = `t${++this.issued}`;
    this.valid.add(token);
    return token;
  }
  revokeAll(): void {
    this.valid.clear();
  }
}

async function authServer(tokens: TokenService, port = 0): Promise<{ server: TestServer; seen: string[] }> {
  const server = await startServer({}, port);
  const seen: string[] = [];
  server.io.use((socket, next) => {
    const token = String(socket.handshake.auth.token);
    seen.push(token);
    if (tokens.valid.has(token)) next();
    else next(Object.assign(new Error("token expired"), { data: { code: "TOKEN_EXPIRED" } }));
  });
  return { server, seen };
}

describe("Hardening, seen from the client", () => {
  const pool = new ClientPool();
  const servers: TestServer[] = [];
  afterEach(async () => {
    pool.closeAll();
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it("after a restart (close 1012) reconnects to the new server and its auth function supplies a fresh token", async () => {
    const tokens = new TokenService();
    const first = await authServer(tokens);
    servers.push(first.server);
    let authCalls = 0;
    const socket = pool.connect(first.server.url, {
      auth: (cb: (auth: Record<string, unknown>) => void) => {
        authCalls++;
        cb({ token: tokens.issue() });
      },
    });
    await once(socket, "connect");
    expect(first.seen).toEqual(["t1"]);

    const disconnected = once<[string, { code?: number }]>(socket, "disconnect");
    await first.server.close();
    const [reason, description] = await disconnected;
    expect(reason).toBe("transport close");
    expect(description?.code).toBe(1012);

    // The old token dies with the old server; the replacement listens on the same address.
    tokens.revokeAll();
    const second = await authServer(tokens, first.server.port);
    servers.push(second.server);
    await once(socket, "connect", 10_000);
    expect(authCalls).toBeGreaterThanOrEqual(2);
    const last = second.seen.at(-1)!;
    expect(last).not.toBe("t1");
    expect(tokens.valid.has(last)).toBe(true);
    // The server really refuses the old token.
    const stale = pool.connect(second.server.url, { auth: { token: "t1" }, reconnection: false });
    const [err] = await once<[Error & { data?: unknown }]>(stale, "connect_error");
    expect(err.message).toBe("token expired");
    expect(err.data).toEqual({ code: "TOKEN_EXPIRED" });
  });

  it("an expired token is rejected with data; the app refreshes it and connects again", async () => {
    const tokens = new TokenService();
    const { server } = await authServer(tokens);
    servers.push(server);
    let token = "expired";
    const socket = pool.connect(server.url, { auth: (cb: (auth: Record<string, unknown>) => void) => cb({ token }) });
    const [err] = await once<[Error & { data?: { code: string } }]>(socket, "connect_error");
    expect(err.data?.code).toBe("TOKEN_EXPIRED");
    token = tokens.issue();
    socket.connect();
    await once(socket, "connect");
  });

  it("surfaces a rate-limited event as the socket's error event with ERR_RATE_LIMITED", async () => {
    const server = await startServer({ rateLimit: { eventsPerSecond: 0.001, burst: 2, onExceeded: "drop" } });
    servers.push(server);
    const received: number[] = [];
    server.io.on("connection", (s) => s.on("ev", (n: number) => received.push(n)));
    const socket = pool.connect(server.url);
    await once(socket, "connect");
    const error = once<[{ code: string; message: string }]>(socket, "error");
    for (let i = 0; i < 4; i++) socket.emit("ev", i);
    const [payload] = await error;
    expect(payload.code).toBe("ERR_RATE_LIMITED");
    await waitFor(() => server.io.metrics.rateLimitedEvents === 2);
    expect(received).toEqual([0, 1]);
    expect(socket.connected).toBe(true);
  });

  it('reconnects after a 4003 close ("disconnect" mode)', async () => {
    const server = await startServer({ rateLimit: { eventsPerSecond: 0.001, burst: 2, onExceeded: "disconnect" } });
    servers.push(server);
    const socket = pool.connect(server.url);
    await once(socket, "connect");
    const disconnected = once<[string, { code?: number }]>(socket, "disconnect");
    for (let i = 0; i < 3; i++) socket.emit("ev", i);
    const [, description] = await disconnected;
    expect(description?.code).toBe(4003);
    // A fresh connection gets a fresh bucket.
    await once(socket, "connect", 10_000);
  });
});
