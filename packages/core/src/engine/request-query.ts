import type { IncomingMessage } from "node:http";

type QueriedRequest = IncomingMessage & { _query?: Record<string, string> };

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
  return (request._query = Object.fromEntries(new URLSearchParams(q === -1 ? "" : url.slice(q + 1))));
}
