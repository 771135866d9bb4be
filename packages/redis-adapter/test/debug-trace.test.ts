import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "./support/built-packages.js";
import { RedisServer } from "./support/redis-server.js";

/*
 * DEBUG=roomcast:* on a server with the Redis adapter, as an operator would turn it on: one
 * client connects with a token, joins a room, emits one event and disconnects, in a child
 * process whose stderr is the trace.
 */
const run = promisify(execFile);
const script = fileURLToPath(new URL("./support/traced-chat.mjs", import.meta.url));
const TOKEN = "tok-3f9c1d7e-never-in-traces";
const SECRET = "payload-8b2e-never-in-traces";

describe("DEBUG=roomcast:*", () => {
  let redis: RedisServer;
  let trace: string[] = [];
  let stderr = "";

  beforeAll(async () => {
    ensureBuilt(["protocol", "core", "client", "redis-adapter"]);
    redis = await RedisServer.start();
    const child = await run(process.execPath, [script], {
      env: { ...process.env, DEBUG: "roomcast:*", DEBUG_COLORS: "false", REDIS_URL: redis.url, TOKEN, SECRET },
      timeout: 20_000,
    });
    expect(JSON.parse(child.stdout)).toEqual({ reply: "ok" });
    stderr = child.stderr;
    // debug writes "<ISO time> <namespace> <message>" when stderr is not a terminal
    trace = stderr.split("\n").filter((line) => / roomcast:/.test(line));
  }, 120_000);

  afterAll(() => redis?.kill());

  const lines = (pattern: RegExp): string[] => trace.filter((line) => pattern.test(line));

  it("traces one handshake, one namespace join, one room join, one event and one disconnect, in readable lines", () => {
    expect(lines(/roomcast:engine conn \S+ open: roomcast\/json from \S*127\.0\.0\.1$/)).toHaveLength(1);
    expect(lines(/roomcast:socket conn \S+ < CONNECT \/ \(\d+ bytes\)$/)).toHaveLength(1);
    expect(lines(/roomcast:server socket \S+ joined namespace \/ on conn \S+$/)).toHaveLength(1);
    expect(lines(/roomcast:socket socket \S+ joins lobby in \/$/)).toHaveLength(1);
    expect(lines(/roomcast:socket conn \S+ < EVENT_WITH_ACK \/ \(\d+ bytes\)$/)).toHaveLength(1);
    expect(lines(/roomcast:socket broadcast EVENT in \/ to lobby except \S+$/)).toHaveLength(1);
    expect(lines(/roomcast:socket conn \S+ > ACK \/ \(\d+ bytes\)$/)).toHaveLength(1);
    expect(lines(/roomcast:socket conn \S+ < DISCONNECT \/ \(\d+ bytes\)$/)).toHaveLength(1);
    expect(lines(/roomcast:server socket \S+ left namespace \/ \(client namespace disconnect\)$/)).toHaveLength(1);
    expect(lines(/roomcast:server conn \S+ closed by the peer with 1000 \(transport close\)$/)).toHaveLength(1);
  });

  it("names the same connection and socket from handshake to disconnect", () => {
    const conn = /conn (\S+) open/.exec(lines(/roomcast:engine conn \S+ open/)[0])![1];
    const socket = /socket (\S+) joined namespace/.exec(lines(/joined namespace/)[0])![1];
    expect(lines(/< EVENT_WITH_ACK/)[0]).toContain(`conn ${conn} `);
    expect(lines(/joins lobby/)[0]).toContain(`socket ${socket} `);
    expect(lines(/left namespace/)[0]).toContain(`socket ${socket} `);
  });

  it("traces the cluster messages and the state of both Redis connections", () => {
    for (const role of ["publisher", "subscriber"]) {
      expect(lines(new RegExp(`roomcast:redis ${role}: connect \\(status connect\\)$`)).length, role).toBeGreaterThanOrEqual(1);
      expect(lines(new RegExp(`roomcast:redis ${role}: ready \\(status ready\\)$`)).length, role).toBeGreaterThanOrEqual(1);
    }
    // the broadcast to the lobby went to the room's channel
    expect(lines(/roomcast:cluster \S+ publishes on \S+lobby\S* \(\d+ bytes\)$/).length).toBeGreaterThanOrEqual(1);
  });

  it("never shows a payload or a credential", () => {
    expect(trace.length).toBeGreaterThan(10);
    expect(stderr).not.toContain(TOKEN);
    expect(stderr).not.toContain(SECRET);
    expect(stderr).not.toContain('"ok"');
  });
});
