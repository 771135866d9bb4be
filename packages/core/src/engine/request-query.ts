import type { IncomingMessage } from "node:http";

type QueriedRequest = IncomingMessage & { _query?: Record<string, string> };

const COMMON_VALUES: Readonly<Record<string, string>> = { __proto__: null, websocket: "websocket", polling: "polling" } as unknown as Record<string, string>;

/**
 * The request's query, parsed once and left on `req._query`, where Engine.IO leaves it:
 * Socket.IO's documented passport recipe reads `req._query.sid` in `io.engine.use()` middlewares
 * to tell a handshake from the requests that follow it, on either endpoint.
 */
export function requestQuery(req: IncomingMessage): Record<string, string> {
  const request = req as QueriedRequest;
  if (request._query !== undefined) return request._query;
  const url = req.url ?? "";
  const q = url.indexOf("?");
  const query: Record<string, string> = Object.fromEntries(new URLSearchParams(q === -1 ? "" : url.slice(q + 1)));
  // Every Engine.IO request carries these; the constants are shared, the parsed copies are not
  // (this object lives as long as its connection, as socket.handshake.query)
  const known = COMMON_VALUES[query.transport as string];
  if (known !== undefined) query.transport = known;
  if (query.EIO === "4") query.EIO = "4";
  return (request._query = query);
}
