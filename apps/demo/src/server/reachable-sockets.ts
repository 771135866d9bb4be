import { ErrorCode } from "@roomcast/core";

/** What the chat reads of a socket, local or on another node. */
export interface SocketView {
  id: string;
  data: unknown;
  rooms: Set<string>;
}

/**
 * `fetchSockets` that settles for the nodes that answered. When a node dies, cluster requests
 * fail with a partial response until the cluster notices (heartbeat timeout); its sockets are
 * gone anyway, so the answers that did arrive are exactly the people still online.
 */
export async function reachableSockets(fetch: () => Promise<SocketView[]>, log: (message: string) => void): Promise<SocketView[]> {
  try {
    return await fetch();
  } catch (err) {
    const partial = err as { code?: unknown; responses?: unknown; data?: { missing?: string[] } };
    if (partial.code !== ErrorCode.PARTIAL_RESPONSE || !Array.isArray(partial.responses)) throw err;
    log(`using a partial answer: no reply from node(s) ${partial.data?.missing?.join(", ") ?? "?"}`);
    return partial.responses as SocketView[];
  }
}
