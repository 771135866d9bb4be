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
    query: parseQuery(url),
    auth: NO_AUTH,
  };
}
