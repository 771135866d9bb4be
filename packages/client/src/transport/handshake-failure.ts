import type { IncomingMessage } from "node:http";

/*
 * Node only: turns what `ws` reports before a WebSocket opens into a message that says what
 * happened where. A generic "Unexpected server response: 404" sends people looking in the wrong
 * place; "nothing serves this path" is nearly always the real cause (wrong `path` option, or a
 * proxy that does not forward upgrades).
 */

const NOT_ROOMCAST = "is a roomcast server listening at this path?";

/* a roomcast refusal is a small JSON body; anything longer is someone else's error page */
const MAX_BODY_CHARS = 1024;

/* the status is known from the headers: a body that stalls must not hold it back for long */
const BODY_WAIT_MS = 500;

/** The endpoint URL without its query, which may carry app data that does not belong in logs. */
export function endpoint(url: string): string {
  return url.split("?")[0]!;
}

/**
 * The server answered the upgrade with a status instead of 101. roomcast servers refuse with a
 * JSON body `{code, message}` (403 origin, 429 limit, 503 closing); anything else means the
 * path is served by something that is not a roomcast server, or not served at all.
 */
export function upgradeRefused(url: string, status: number, body: string): Error {
  let refusal: { code?: unknown; message?: unknown } | undefined;
  try {
    refusal = JSON.parse(body);
  } catch {
    // not JSON: not a roomcast refusal
  }
  const where = `WebSocket upgrade to ${endpoint(url)}`;
  if (typeof refusal?.code === "string") {
    return new Error(`${where} refused by the server (HTTP ${status}, ${refusal.code}: ${String(refusal.message)})`);
  }
  return new Error(`${where} failed (HTTP ${status}): ${NOT_ROOMCAST}`);
}

/** `ws` failed before any response: no connection, a TLS failure, or a socket closed unanswered. */
export function connectFailed(url: string, error: Error): Error {
  const where = endpoint(url);
  // ECONNRESET before any response: something accepted the TCP connection and dropped it
  // without answering, which is what a server does with upgrades on paths it does not handle
  const message =
    (error as NodeJS.ErrnoException).code === "ECONNRESET"
      ? `WebSocket upgrade to ${where} failed: the server closed the connection without answering (${error.message}): ${NOT_ROOMCAST}`
      : `WebSocket connection to ${where} failed: ${error.message}`;
  return new Error(message, { cause: error });
}

/** Reads at most MAX_BODY_CHARS of a refusal's body, for at most BODY_WAIT_MS, then lets it go. */
export function readRefusalBody(res: IncomingMessage, done: (body: string) => void): void {
  let body = "";
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    res.destroy();
    done(body);
  };
  const timer = setTimeout(finish, BODY_WAIT_MS);
  res.setEncoding("utf8");
  res.on("data", (chunk: string) => {
    body += chunk;
    if (body.length >= MAX_BODY_CHARS) finish();
  });
  res.on("end", finish);
  res.on("close", finish);
  // an 'error' without a listener would crash the process
  res.on("error", finish);
}
