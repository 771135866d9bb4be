import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { AUTH_SUBPROTOCOL_PREFIX, ErrorCode, Subprotocol } from "@roomcast/protocol";
import type { ServerOptions } from "../server/server-options.js";
import { CorsPolicy } from "./cors-policy.js";

/** Why an upgrade was refused: the HTTP status and the `{code, message}` body sent back. */
export interface UpgradeRejection {
  status: number;
  code: ErrorCode;
  message: string;
}

const STATUS_TEXT: Record<number, string> = { 400: "Bad Request", 403: "Forbidden", 429: "Too Many Requests", 503: "Service Unavailable" };

/** The path part of a request URL, without parsing the query. */
export function requestPath(url: string | undefined): string {
  if (!url) return "/";
  const q = url.indexOf("?");
  return q === -1 ? url : url.slice(0, q);
}

const OURS: ReadonlySet<string> = new Set([Subprotocol.JSON, Subprotocol.MSGPACK]);

/**
 * The first roomcast codec in the client's offer, for ws's `handleProtocols`; false (no header,
 * JSON) when it offers none, which `subprotocolRejection` leaves only to requests with no offer.
 */
export function negotiateSubprotocol(offered: Set<string>): string | false {
  for (const name of offered) if (OURS.has(name)) return name;
  return false;
}

/**
 * The answer to a roomcast upgrade whose `Sec-WebSocket-Protocol` names no roomcast codec: 400
 * (docs/PROTOCOL.md, section 1). Undefined when the header is absent (the client gets JSON) or
 * offers a codec among any other names. A `roomcast.auth.*` entry is credentials, not a codec.
 * Checked before ws sees the upgrade: `handleProtocols` can only select a name or none, and
 * selecting none for a non-empty offer is a 101 that the client then fails without saying why.
 */
export function subprotocolRejection(header: string | undefined): UpgradeRejection | undefined {
  if (header === undefined) return undefined;
  for (const raw of header.split(",")) if (OURS.has(raw.trim())) return undefined;
  return {
    status: 400,
    code: ErrorCode.UNSUPPORTED_SUBPROTOCOL,
    message: `offer ${Subprotocol.JSON} or ${Subprotocol.MSGPACK} in Sec-WebSocket-Protocol, or no subprotocol for JSON`,
  };
}

/** What Engine.IO's ws server selects, for the Socket.IO endpoint: the first name offered. */
export function firstSubprotocol(offered: Set<string>): string | false {
  for (const name of offered) return name;
  return false;
}

/** Credentials from a `roomcast.auth.<base64url JSON>` offer entry, if any and well formed. */
export function authFromSubprotocols(header: string | undefined): Record<string, unknown> | undefined {
  if (!header) return undefined;
  for (const raw of header.split(",")) {
    const entry = raw.trim();
    if (!entry.startsWith(AUTH_SUBPROTOCOL_PREFIX)) continue;
    try {
      const value: unknown = JSON.parse(Buffer.from(entry.slice(AUTH_SUBPROTOCOL_PREFIX.length), "base64url").toString());
      if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // Malformed credentials are the same as none: the namespace middleware decides.
    }
    return undefined;
  }
  return undefined;
}

/** Answers an upgrade request with an HTTP error and a small JSON body, then closes the socket. */
export function rejectUpgrade(socket: Duplex, rejection: UpgradeRejection): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({ code: rejection.code, message: rejection.message });
  socket.end(
    `HTTP/1.1 ${rejection.status} ${STATUS_TEXT[rejection.status] ?? "Error"}\r\n` +
      "Connection: close\r\n" +
      "Content-Type: application/json\r\n" +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n` +
      body,
  );
}

/**
 * Everything decided before a WebSocket exists: the origin check (option `cors`), `allowRequest`
 * and the per-address connection limit. A slot taken by `check` is handed back with `release`.
 */
export class UpgradeGuard {
  /**
   * The server's origin check, shared with the long-polling transport: `cors.handle(req, res, done)`
   * answers preflights and refused origins and hands back the CORS headers of a response.
   */
  readonly cors: CorsPolicy;
  private readonly perIp = new Map<string, number>();

  constructor(private readonly options: ServerOptions) {
    this.cors = new CorsPolicy(options.cors, options.logger, options.requireOrigin);
  }

  /** Calls back with a rejection, or with undefined after reserving a per-address slot. */
  check(req: IncomingMessage, done: (rejection: UpgradeRejection | undefined) => void): void {
    if (!this.cors.enabled) {
      this.afterOrigin(req, done);
      return;
    }
    this.cors.checkOrigin(req, (allowed) => {
      if (allowed) this.afterOrigin(req, done);
      else done({ status: 403, code: ErrorCode.ORIGIN_REJECTED, message: "origin not allowed" });
    });
  }

  private afterOrigin(req: IncomingMessage, done: (rejection: UpgradeRejection | undefined) => void): void {
    const { allowRequest, maxConnectionsPerIp } = this.options;
    const admit = (): void => {
      if (maxConnectionsPerIp > 0) {
        const ip = req.socket.remoteAddress ?? "";
        const count = this.perIp.get(ip) ?? 0;
        if (count >= maxConnectionsPerIp) {
          done({ status: 429, code: ErrorCode.TOO_MANY_CONNECTIONS, message: "too many connections from this address" });
          return;
        }
        this.perIp.set(ip, count + 1);
      }
      done(undefined);
    };
    if (!allowRequest) {
      admit();
      return;
    }
    let answered = false;
    try {
      allowRequest(req, (err, ok) => {
        if (answered) return;
        answered = true;
        if (err || !ok) {
          done({ status: 403, code: ErrorCode.REQUEST_REJECTED, message: typeof err === "string" && err ? err : "request rejected" });
        } else {
          admit();
        }
      });
    } catch {
      if (!answered) {
        answered = true;
        done({ status: 403, code: ErrorCode.REQUEST_REJECTED, message: "request rejected" });
      }
    }
  }

  /** Remote addresses holding at least one slot (0 when `maxConnectionsPerIp` is off). */
  get trackedAddresses(): number {
    return this.perIp.size;
  }

  /** Frees the per-address slot of a connection that ended (or never opened). */
  release(address: string | undefined): void {
    if (this.options.maxConnectionsPerIp <= 0) return;
    const ip = address ?? "";
    const count = this.perIp.get(ip);
    if (count === undefined) return;
    if (count <= 1) this.perIp.delete(ip);
    else this.perIp.set(ip, count - 1);
  }
}
