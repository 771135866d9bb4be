import { createAdapter, createStreamsStore } from "@roomcast/redis-adapter";
import { Redis } from "ioredis";
import { RedisChatState } from "./redis-chat-state.js";

/**
 * The two Redis connections the cluster adapter needs (a subscribed connection cannot publish).
 * Both retry forever with a short backoff; the node keeps serving its own sockets meanwhile.
 */
export function connectRedis(url: string, log: (message: string) => void) {
  const pubClient = new Redis(url, { retryStrategy: (times) => Math.min(times * 200, 2000), maxRetriesPerRequest: 3 });
  const subClient = pubClient.duplicate();
  for (const [name, client] of [["pub", pubClient], ["sub", subClient]] as const) {
    // Log an outage once when it starts and once when it ends, not on every retry.
    let down = false;
    client.on("error", (err: Error) => {
      if (!down) log(`redis ${name} connection error: ${err.message}`);
      down = true;
    });
    client.on("ready", () => {
      if (down) log(`redis ${name} connection back`);
      down = false;
    });
  }
  return {
    // Cluster requests (fetchSockets and the like) wait for every node. Until a crashed node is
    // noticed (heartbeat timeout) such a request waits for it in vain; settling for the others'
    // answers after 2 s keeps a reply well inside the page's 5 s ack timeout (ACK_TIMEOUT_MS).
    adapter: createAdapter(pubClient, subClient, { requestsTimeout: 2000 }),
    /** Connection-state recovery across nodes: missed messages in a Redis stream, sessions with a TTL. */
    recoveryStore: createStreamsStore(pubClient),
    /** Nicknames, presence, room members and history, shared by the nodes (commands on the publisher). */
    chatState: new RedisChatState(pubClient),
    async close(): Promise<void> {
      await Promise.allSettled([pubClient.quit(), subClient.quit()]);
    },
  };
}
