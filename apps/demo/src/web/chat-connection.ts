import { io, type Socket } from "@roomcast/client";
import type { ChatAuth, ClientToServerEvents, CredentialsRejection, ServerToClientEvents } from "../shared/chat-events.js";
import { ACK_TIMEOUT_MS, RETRIES } from "../shared/connection-timing.js";

export type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * Opens the chat's socket on the page's own origin (the demo server or the load balancer in
 * front of the nodes). `auth` is read at every (re)connection, so a nickname changed in the
 * dialog, and the rooms the page is in, are what the next handshake carries.
 *
 * Every request (messages included) goes through the client's own send queue: kept while
 * offline, sent in order one at a time once connected, resent after `ACK_TIMEOUT_MS` up to
 * `RETRIES` times (src/shared/connection-timing.ts says why that many). Each resend carries the
 * id of the first send, so the server handles it at most once per session and answers with its
 * first reply.
 */
export function createChatSocket(auth: () => ChatAuth | null): ChatSocket {
  return io(window.location.origin, {
    autoConnect: false,
    ackTimeout: ACK_TIMEOUT_MS,
    retries: RETRIES,
    auth: (cb: (auth: Record<string, unknown>) => void) => cb({ ...(auth() ?? {}) }),
  });
}

export function credentialsRejection(err: unknown): CredentialsRejection | null {
  const data = (err as { data?: Partial<CredentialsRejection> } | null)?.data;
  return data?.code === "INVALID_CREDENTIALS" ? (data as CredentialsRejection) : null;
}

/** Why a request finally failed, in words a person can act on. */
export function failureReason(err: unknown): string {
  const { code, message } = (err ?? {}) as { code?: string; message?: string };
  if (code === "ERR_ACK_TIMEOUT") return `the server did not confirm it after ${RETRIES + 1} tries`;
  if (message === "retry queue is full") return "too many messages were waiting to go out";
  if (message === "socket has been disconnected") return "the connection kept dropping before the server confirmed it";
  return message ? `it could not be sent (${message})` : "it could not be sent";
}
