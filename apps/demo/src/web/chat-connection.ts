import { io, type Socket } from "@roomcast/client";
import type { ChatCredentials, ClientToServerEvents, CredentialsRejection, ServerToClientEvents } from "../shared/chat-events.js";

export type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** How long a request waits for the server's ack before the page calls it failed. */
export const ACK_TIMEOUT_MS = 5000;

/**
 * Opens the chat's socket on the page's own origin (the demo server or the load balancer in
 * front of the nodes). `credentials` is read at every (re)connection, so a nickname changed in
 * the dialog is what the next handshake carries.
 */
export function createChatSocket(credentials: () => ChatCredentials | null): ChatSocket {
  return io(window.location.origin, {
    autoConnect: false,
    auth: (cb: (auth: Record<string, unknown>) => void) => cb({ ...(credentials() ?? {}) }),
  });
}

export function credentialsRejection(err: unknown): CredentialsRejection | null {
  const data = (err as { data?: Partial<CredentialsRejection> } | null)?.data;
  return data?.code === "INVALID_CREDENTIALS" ? (data as CredentialsRejection) : null;
}
