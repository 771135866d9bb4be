import { IncomingMessage } from "node:http";
import { Socket } from "node:net";
import type { Handshake } from "../types.js";

/*
 * Socket.IO keeps the HTTP request that opened each session for `socket.request`, about 750 B per
 * idle connection here (the object, its stream state, `rawHeaders` and its strings), a quarter of
 * what bare `ws` spends on a whole connection. Most of it says nothing the handshake does not
 * already hold, so a connection keeps the request only when something was left on it: a
 * middleware's `session` or `user`, a field an `allowRequest` set, a query Engine.IO parsed
 * differently. Otherwise it lets the request go and rebuilds one from the handshake the first
 * time `socket.request` is read (see rebuildRequest for what the copy holds).
 */

/* Own keys every request Node's HTTP server hands out carries (fields and its own symbols). */
const NODE_OWN_KEYS: ReadonlySet<string | symbol> = new Set([
  ...Reflect.ownKeys(new IncomingMessage(new Socket())),
  // Set on upgrade requests by Node's server, and by its parser on every request.
  "parser",
  // Engine.IO's parsed query: compared with the handshake's below.
  "_query",
]);

/**
 * Whether `req` can be let go and rebuilt from `handshake` when read: a GET over HTTP/1.1 (the
 * WebSocket upgrade, RFC 6455 §4.1, and the Engine.IO handshake are both) with nothing on it
 * beyond Node's own fields, and an Engine.IO `_query` (if any) that is the handshake's query.
 */
export function canRebuildRequest(req: IncomingMessage, handshake: Handshake): boolean {
  if (req.method !== "GET" || req.httpVersion !== "1.1") return false;
  const query = (req as { _query?: unknown })._query;
  if (query !== undefined && query !== handshake.query) return false;
  for (const key of Reflect.ownKeys(req)) {
    if (!NODE_OWN_KEYS.has(key)) return false;
  }
  return true;
}

/**
 * A request standing in for one let go: a real `IncomingMessage` on the same TCP socket, a GET
 * over HTTP/1.1 with the handshake's URL and header object (the same object as
 * `socket.handshake.headers`), the handshake's query as `_query` (where Engine.IO leaves it),
 * `complete` and no body. `rawHeaders` is rebuilt from the headers, so names come lower-case and
 * repeated headers the way Node joined them.
 */
export function rebuildRequest(handshake: Handshake, socket: Socket): IncomingMessage {
  const headers = handshake.headers;
  const req = new IncomingMessage(socket);
  req.httpVersionMajor = 1;
  req.httpVersionMinor = 1;
  req.httpVersion = "1.1";
  req.method = "GET";
  req.url = handshake.url;
  req.headers = headers;
  const raw: string[] = [];
  for (const name in headers) {
    const value = headers[name];
    if (Array.isArray(value)) for (const item of value) raw.push(name, item);
    else if (value !== undefined) raw.push(name, value);
  }
  req.rawHeaders = raw;
  (req as { upgrade?: boolean }).upgrade = headers.upgrade !== undefined && /\bupgrade\b/i.test(String(headers.connection));
  req.complete = true;
  (req as { _query?: unknown })._query = handshake.query;
  return req;
}
