/**
 * Room scope with connection-state recovery on (Redis Streams store): what a node with no member
 * in a room reads of that room's traffic. Three server processes against one redis-server: A and C
 * have members in room "bench", B only in room "other". A sends paced broadcasts to "bench"; each
 * server counts the messages its Redis subscriber connections read (its adapter's and its store's)
 * while they go out. Without room scope every recoverable packet reached every node; with it B
 * reads none of them (what it still reads: adapter heartbeats and, about once a second, the
 * stream's position), while C reads each once.
 */
import { io } from "@roomcast/client";
import { Child, waitFor } from "../lib/child.mjs";
import { startRedis } from "../lib/redis.mjs";

const SERVER = new URL("../servers/roomscope.mjs", import.meta.url);

function connectClients(port, room, count, received) {
  return Promise.all(
    Array.from({ length: count }, () => {
      const socket = io(`http://127.0.0.1:${port}`, { forceNew: true, reconnection: false, transports: ["websocket"], query: { room } });
      socket.on("m", () => received.count++);
      return new Promise((resolve, reject) => {
        socket.once("connect", () => resolve(socket));
        socket.once("connect_error", reject);
      });
    }),
  );
}

export async function roomscope(_system, opts) {
  const redis = await startRedis();
  const servers = [];
  const sockets = [];
  try {
    for (const name of ["a", "b", "c"]) {
      const server = new Child(SERVER, { args: [JSON.stringify({ redisPort: redis.port })], name: `roomscope ${name}` });
      servers.push(server);
    }
    const ports = await Promise.all(
      servers.map((server) => Promise.race([server.once("ready"), server.exit.then(() => Promise.reject(new Error(`${server.name} died on start`)))]).then((m) => m.port)),
    );
    const [a, b, c] = servers;
    const atA = { count: 0 };
    const atB = { count: 0 };
    const atC = { count: 0 };
    sockets.push(...(await connectClients(ports[0], "bench", opts.clientsPerNode, atA)));
    sockets.push(...(await connectClients(ports[1], "other", opts.clientsPerNode, atB)));
    sockets.push(...(await connectClients(ports[2], "bench", opts.clientsPerNode, atC)));
    // subscriptions settle, the append script gets loaded
    await a.request("send", { room: "bench", count: 10, rate: 1000 });
    await waitFor(() => atC.count === 10 * opts.clientsPerNode, 10_000, "warm-up broadcasts at C");
    await Promise.all(servers.map((s) => s.request("reset")));
    atA.count = atC.count = 0;
    const before = await Promise.all(servers.map((s) => s.request("stats")));

    const { sent, elapsedMs } = await a.request("send", { room: "bench", count: opts.broadcasts, rate: opts.rate });
    await waitFor(() => atC.count >= sent * opts.clientsPerNode, 30_000, "every broadcast at C's clients");
    // anything still on its way to B has arrived by the time a later message to B's own room has
    await b.request("send", { room: "other", count: 1, rate: 1000 });
    await waitFor(() => atB.count === 1 * opts.clientsPerNode, 10_000, "B's own room's broadcast");
    const after = await Promise.all(servers.map((s) => s.request("stats")));

    const delta = (i, key) => after[i].read[key] - before[i].read[key];
    const readBy = (i) => delta(i, "adapter") + delta(i, "storePackets") + delta(i, "storeTicks") + delta(i, "storeOther");
    const per1000 = (n) => (n * 1000) / sent;
    const storeHeard = (i) => (after[i].store?.heard === undefined ? undefined : after[i].store.heard - before[i].store.heard);
    return {
      broadcasts: sent,
      seconds: elapsedMs / 1000,
      deliveredAtMembers: (atA.count + atC.count) / (2 * opts.clientsPerNode * sent),
      // B: no member in "bench" (minus its own room's one broadcast)
      packetsReadWithoutMembersPer1000: per1000(delta(1, "storePackets") - 1),
      messagesReadWithoutMembersPer1000: per1000(readBy(1) - 1),
      ticksReadWithoutMembers: delta(1, "storeTicks"),
      adapterReceivedWithoutMembers: after[1].adapterReceived - before[1].adapterReceived,
      storeHeardWithoutMembers: storeHeard(1) === undefined ? undefined : storeHeard(1) - 1,
      // C: members in "bench"
      packetsReadWithMembersPer1000: per1000(delta(2, "storePackets")),
      messagesReadWithMembersPer1000: per1000(readBy(2)),
      raw: { before, after },
    };
  } finally {
    for (const socket of sockets) socket.disconnect();
    await Promise.all(servers.map((s) => s.stop()));
    await redis.stop();
  }
}
