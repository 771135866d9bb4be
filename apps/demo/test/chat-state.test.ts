import { Redis } from "ioredis";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { ProcessGroup } from "../src/cluster/process-group.js";
import type { ChatState, UserRecord } from "../src/server/chat-state.js";
import { MemoryChatState } from "../src/server/memory-chat-state.js";
import { RedisChatState } from "../src/server/redis-chat-state.js";
import { HISTORY_LENGTH } from "../src/shared/chat-events.js";
import { freePorts } from "./support/free-port.js";
import { setupOnce } from "./support/setup-once.js";
import { requireTools } from "./support/system-tools.js";

const processes = new ProcessGroup(() => {});
let redis: Redis | undefined;

// A throwaway redis-server on a free port, nothing written to disk.
const redisReady = setupOnce(async () => {
  requireTools(["redis-server"]);
  const [port] = await freePorts(1);
  processes.start("redis", "redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
  // Commands wait in ioredis's queue until the server is up (retried every 100 ms, 5 s at most).
  redis = new Redis({ port, host: "127.0.0.1", retryStrategy: (times) => (times > 50 ? null : 100) });
  redis.on("error", () => {});
  await redis.ping();
  return redis;
});

afterAll(async () => {
  await redis?.quit().catch(() => {});
  await processes.stopAll();
});

const record = (id: string, socketId: string, seenAt = Date.now()): UserRecord => ({
  user: { id, nickname: id, color: "#3366ff" },
  socketId,
  state: "online",
  seenAt,
});

/** One contract, two stores: what one node keeps in memory, a cluster keeps in Redis, the same way. */
for (const [name, make] of [
  ["in memory", async () => new MemoryChatState()],
  ["in Redis", async () => new RedisChatState(await redisReady(), `test-${Math.random().toString(36).slice(2)}:`)],
] as const) {
  describe(`ChatState ${name}`, () => {
    let state: ChatState;
    // Each test awaits the store, so a missing redis-server fails them (with the install command).
    const ready = setupOnce(async () => (state = await make()));
    beforeEach(() => ready());

    it("gives a nickname to one user at a time, case ignored, and lets the holder renew or release it", async () => {
      expect(await state.claimNickname("MobileUser", "u1", 60_000)).toBe(true);
      expect(await state.claimNickname("mobileuser", "u2", 60_000)).toBe(false);
      expect(await state.claimNickname("MOBILEUSER", "u1", 60_000)).toBe(true);
      await state.releaseNickname("mobileuser", "u2"); // not the holder: nothing happens
      expect(await state.claimNickname("mobileuser", "u2", 60_000)).toBe(false);
      await state.releaseNickname("MobileUser", "u1");
      expect(await state.claimNickname("mobileuser", "u2", 60_000)).toBe(true);
    });

    it("lets a claim expire with its TTL", async () => {
      expect(await state.claimNickname("Brief", "u3", 50)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 120));
      expect(await state.claimNickname("brief", "u4", 60_000)).toBe(true);
    });

    it("marks a user away only for the socket that speaks for them and only if nothing newer was written", async () => {
      const before = Date.now();
      await state.saveUser(record("u5", "s-old", before), 60_000);
      await state.saveUser(record("u5", "s-new", before + 10), 60_000);
      expect(await state.markAway("u5", "s-old", before + 20, 60_000)).toBe(false);
      // A page that resumed elsewhere keeps its socket id: a drop noticed before that write is stale.
      expect(await state.markAway("u5", "s-new", before + 5, 60_000)).toBe(false);
      expect(await state.markAway("u5", "s-new", before + 20, 60_000)).toBe(true);
      expect((await state.users(["u5", "nobody"])).get("u5")).toMatchObject({ state: "away", socketId: "s-new" });
      expect(await state.forgetUser("u5", "s-old")).toBe(false);
      expect(await state.forgetUser("u5", "s-new")).toBe(true);
      expect((await state.users(["u5"])).size).toBe(0);
    });

    it("keeps room members and lists rooms with their counts", async () => {
      await state.addMember("hall", "u6");
      await state.addMember("hall", "u7");
      await state.addMember("attic", "u6");
      await state.removeMember("attic", "u6");
      expect((await state.members("hall")).sort()).toEqual(["u6", "u7"]);
      expect(await state.rooms()).toEqual([{ name: "hall", members: 2 }]);
    });

    it("numbers a room's messages in order and keeps the last ones", async () => {
      const sent = [];
      for (let i = 0; i < HISTORY_LENGTH + 5; i++) {
        sent.push(await state.appendMessage({ id: `m${i}`, room: "log", from: record("u8", "s").user, text: `line ${i}: a:b`, at: 1_700_000_000_123 + i }));
      }
      for (let i = 1; i < sent.length; i++) expect(sent[i].seq).toBe(sent[i - 1].seq + 1);
      const history = await state.history("log");
      expect(history).toEqual(sent.slice(-HISTORY_LENGTH));
      expect(await state.history("empty")).toEqual([]);
    });

    it("keeps direct messages per recipient until taken, oldest first, refusing past the bound", async () => {
      const [from, to] = [record("u9", "s").user, record("u10", "s").user];
      const direct = (n: number) => ({ id: `00000000-0000-4000-8000-00000000000${n}`, from, to, text: `dm ${n}`, at: 1_700_000_000_000 + n });
      for (const n of [2, 1, 3]) expect(await state.keepDirect(direct(n), 3, 60_000)).toBe(true);
      expect(await state.keepDirect(direct(4), 3, 60_000)).toBe(false);
      expect(await state.undeliveredDirects("u10")).toEqual([direct(1), direct(2), direct(3)]);
      expect(await state.undeliveredDirects("u9")).toEqual([]);
      // Only the recipient's own receipt takes it, and only once.
      expect(await state.takeDirect("u9", direct(2).id)).toBeUndefined();
      expect(await state.takeDirect("u10", direct(2).id)).toEqual(direct(2));
      expect(await state.takeDirect("u10", direct(2).id)).toBeUndefined();
      expect(await state.keepDirect(direct(4), 3, 60_000)).toBe(true);
      expect((await state.undeliveredDirects("u10")).map((m) => m.text)).toEqual(["dm 1", "dm 3", "dm 4"]);
    });

    it("lets waiting direct messages expire with their TTL", async () => {
      const [from, to] = [record("u11", "s").user, record("u12", "s").user];
      expect(await state.keepDirect({ id: "00000000-0000-4000-8000-000000000009", from, to, text: "soon gone", at: 1 }, 3, 50)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 120));
      expect(await state.undeliveredDirects("u12")).toEqual([]);
    });
  });
}
