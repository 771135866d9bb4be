import type { IncomingMessage } from "node:http";
import type { Handshake } from "../types.js";

function parseQuery(url: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  const q = url.indexOf("?");
  if (q === -1) return query;
  for (const [key, value] of new URLSearchParams(url.slice(q + 1))) {
    const existing = query[key];
    if (existing === undefined) query[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else query[key] = [existing, value];
  }
  return query;
}

/**
 * `query`, or the request's `_query` (parsed by the endpoint for Engine.IO's passport recipe) when
 * it holds the same keys and values: then one object serves both, as in Socket.IO, where
 * `socket.handshake.query` is `request._query`. A query with a repeated key (an array here, the
 * last value there) or one a middleware changed keeps its own object.
 */
function sharedQuery(req: IncomingMessage, query: Record<string, string | string[]>): Record<string, string | string[]> {
  const parsed = (req as { _query?: unknown })._query;
  if (typeof parsed !== "object" || parsed === null) return query;
  const engine = parsed as Record<string, unknown>;
  let keys = 0;
  for (const key in engine) {
    if (!Object.hasOwn(engine, key) || engine[key] !== query[key]) return query;
    keys++;
  }
  return keys === Object.keys(query).length ? (engine as Record<string, string>) : query;
}

/* Date#toString has one-second resolution: connections opened in the same second share one string. */
let timeSecond = -1;
let timeText = "";

function handshakeTime(issued: number): string {
  const second = Math.floor(issued / 1000);
  if (second !== timeSecond) {
    timeSecond = second;
    timeText = new Date(issued).toString();
  }
  return timeText;
}

/* The auth of a connection handshake no namespace socket has adopted yet. */
export const NO_AUTH: Record<string, unknown> = Object.freeze({});

/** What the server knows of an upgrade request, shared by the namespace sockets of its connection. */
export function buildHandshake(req: IncomingMessage): Handshake {
  const url = req.url ?? "/";
  const origin = req.headers.origin;
  let xdomain = false;
  if (origin) {
    try {
      xdomain = new URL(origin).host !== req.headers.host;
    } catch {
      xdomain = true;
    }
  }
  const issued = Date.now();
  return {
    headers: req.headers,
    time: handshakeTime(issued),
    issued,
    address: req.socket.remoteAddress ?? "",
    xdomain,
    secure: Boolean((req.socket as { encrypted?: boolean }).encrypted),
    url,
    query: sharedQuery(req, parseQuery(url)),
    auth: NO_AUTH,
  };
}
