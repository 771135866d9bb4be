import { validateRateLimit } from "../connection/rate-limiter.js";
import { checkAllowedOrigins, checkCors } from "./cors-options.js";
import { boolean, durationMs, func, integer, isPlainObject, objectOf, oneOf, optionTypeError, urlPath, type OptionCheck } from "./option-checks.js";
import { checkSocketIo, checkTransports } from "./socketio-options.js";

/**
 * Every option `new Server(srv, options)` accepts, and every option Socket.IO 4.8's
 * `new Server(srv, options)` accepts (its own, Engine.IO's server options and Engine.IO's attach
 * options: socket.io/lib/index.ts and engine.io/lib/server.ts), with what roomcast does with it.
 * `resolveOptions` checks each given option against this table; anything else is unknown and
 * throws. The README's options tables list the same names (a test keeps them in agreement).
 */

/** Which server defines the option. */
export type OptionSource = "socket.io" | "engine.io" | "roomcast";

/**
 * - supported: same name and meaning (within roomcast's endpoints);
 * - mapped: another name for a roomcast option, folded into it by `resolveOptions`;
 * - refused: throws a TypeError saying what to use instead, except for the value that states
 *   what roomcast does anyway (`serveClient: false`, `allowEIO3: false`…).
 */
export type OptionDecision = "supported" | "mapped" | "refused";

export interface OptionRule {
  readonly source: OptionSource;
  readonly decision: OptionDecision;
  /** Throws a TypeError naming the option when the value does not fit (or the option is refused). */
  readonly check: OptionCheck;
}

/** Refuses the option unless its value is `accepted` (the value that matches roomcast's behaviour). */
function refused(advice: string, accepted?: boolean): OptionCheck {
  return (value, name) => {
    if (accepted !== undefined && value === accepted) return;
    const allowed = accepted === undefined ? "" : ` (only ${String(accepted)}, what roomcast does anyway, is accepted)`;
    throw new TypeError(`option "${name}" is not supported${allowed}: ${advice}`);
  };
}

const logger: OptionCheck = (value, name) => {
  const ok = typeof value === "object" && value !== null && typeof (value as Record<string, unknown>).warn === "function" && typeof (value as Record<string, unknown>).error === "function";
  if (!ok) throw optionTypeError(name, "an object with warn(message, error) and error(message, error) functions", value);
};

const windowBits: OptionCheck = (value, name) => {
  if (typeof value === "boolean") return;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 8 || value > 15) throw optionTypeError(name, "a boolean or an integer from 8 to 15", value);
};

const anyObject: OptionCheck = (value, name) => {
  if (!isPlainObject(value)) throw optionTypeError(name, "an object", value);
};

/* ws's permessage-deflate options (PerMessageDeflate in ws/lib/permessage-deflate.js) */
const deflateObject = objectOf({
  serverNoContextTakeover: boolean,
  clientNoContextTakeover: boolean,
  serverMaxWindowBits: windowBits,
  clientMaxWindowBits: windowBits,
  zlibDeflateOptions: anyObject,
  zlibInflateOptions: anyObject,
  threshold: integer(0, "bytes"),
  concurrencyLimit: integer(1, "operations"),
});

const perMessageDeflate: OptionCheck = (value, name) => {
  if (typeof value === "boolean") return;
  if (!isPlainObject(value)) throw optionTypeError(name, "a boolean or ws's permessage-deflate options", value);
  deflateObject(value, name);
};

const number: OptionCheck = (value, name) => {
  if (typeof value !== "number") throw optionTypeError(name, "a number", value);
};

const rateLimitShape = objectOf({ eventsPerSecond: number, burst: number, onExceeded: () => {} });

const rateLimit: OptionCheck = (value, name) => {
  rateLimitShape(value, name);
  // ranges keep the RangeError documented for rateLimit
  validateRateLimit(value as never);
};

/** Every option name roomcast knows, Socket.IO's included. */
export const OPTION_TABLE: Readonly<Record<string, OptionRule>> = {
  // ---- Socket.IO's Server ----
  path: { source: "socket.io", decision: "supported", check: urlPath },
  serveClient: {
    source: "socket.io",
    decision: "refused",
    check: refused("roomcast does not serve socket.io-client; serve socket.io-client's dist/socket.io.min.js with your static files, or bundle the client", false),
  },
  adapter: { source: "socket.io", decision: "supported", check: func },
  parser: {
    source: "socket.io",
    decision: "refused",
    check: refused(
      "custom parsers are not supported; roomcast's protocol negotiates JSON or MessagePack per connection (@roomcast/client's msgpack codec replaces socket.io-msgpack-parser), and the Socket.IO endpoint speaks socket.io-parser's default format",
    ),
  },
  connectTimeout: { source: "socket.io", decision: "supported", check: durationMs(1) },
  connectionStateRecovery: {
    source: "socket.io",
    decision: "supported",
    check: objectOf({ maxDisconnectionDuration: durationMs(1), skipMiddlewares: boolean, maxPackets: integer(1, "packets"), store: func }),
  },
  cleanupEmptyChildNamespaces: { source: "socket.io", decision: "supported", check: boolean },

  // ---- Engine.IO's Server ----
  pingTimeout: { source: "engine.io", decision: "supported", check: durationMs(1) },
  pingInterval: { source: "engine.io", decision: "supported", check: durationMs(1) },
  upgradeTimeout: { source: "engine.io", decision: "supported", check: durationMs(1) },
  maxHttpBufferSize: { source: "engine.io", decision: "mapped", check: integer(1, "bytes") },
  allowRequest: { source: "engine.io", decision: "supported", check: func },
  transports: { source: "engine.io", decision: "supported", check: checkTransports },
  allowUpgrades: { source: "engine.io", decision: "supported", check: boolean },
  perMessageDeflate: { source: "engine.io", decision: "supported", check: perMessageDeflate },
  httpCompression: {
    source: "engine.io",
    decision: "refused",
    check: refused(
      "long-polling responses are sent uncompressed (compressing every poll costs CPU per request for small bodies); let your reverse proxy compress them, and use perMessageDeflate for WebSocket",
      false,
    ),
  },
  wsEngine: {
    source: "engine.io",
    decision: "refused",
    check: refused("roomcast uses ws and writes pre-built frames to its sockets; remove the option (eiows and uWebSockets.js are not supported)"),
  },
  initialPacket: {
    source: "engine.io",
    decision: "refused",
    check: refused('Engine.IO\'s handshake carries nothing else; emit the data from io.on("connection") instead'),
  },
  cookie: {
    source: "engine.io",
    decision: "refused",
    check: refused(
      "roomcast sets no cookie; sticky sessions for long-polling across nodes come from the load balancer (its own affinity cookie or client-IP hashing), and WebSocket-only clients need none",
      false,
    ),
  },
  cors: { source: "engine.io", decision: "supported", check: checkCors },
  allowEIO3: {
    source: "engine.io",
    decision: "refused",
    check: refused("only Engine.IO v4 clients (socket.io-client 3 and later) can connect; upgrade socket.io-client 2 apps first", false),
  },

  // ---- Engine.IO's attach options ----
  destroyUpgrade: { source: "engine.io", decision: "supported", check: boolean },
  destroyUpgradeTimeout: { source: "engine.io", decision: "supported", check: durationMs(1) },
  /* either value: the Socket.IO endpoint answers at its path with and without the trailing slash */
  addTrailingSlash: { source: "engine.io", decision: "supported", check: boolean },

  // ---- roomcast's own ----
  socketio: { source: "roomcast", decision: "supported", check: checkSocketIo },
  maxPayload: { source: "roomcast", decision: "supported", check: integer(1, "bytes") },
  allowedOrigins: { source: "roomcast", decision: "mapped", check: checkAllowedOrigins },
  requireOrigin: { source: "roomcast", decision: "supported", check: boolean },
  handshakeTimeout: { source: "roomcast", decision: "supported", check: durationMs(0) },
  exposeMiddlewareErrors: { source: "roomcast", decision: "supported", check: oneOf("next", "all", "none") },
  maxConnectionsPerIp: { source: "roomcast", decision: "supported", check: integer(0, "connections") },
  maxNamespacesPerConnection: { source: "roomcast", decision: "supported", check: integer(1, "namespaces") },
  maxRoomsPerSocket: { source: "roomcast", decision: "supported", check: integer(1, "rooms") },
  maxPendingAcks: { source: "roomcast", decision: "supported", check: integer(1, "acks") },
  maxBufferedBytes: { source: "roomcast", decision: "supported", check: integer(1, "bytes") },
  volatileHighWaterMark: { source: "roomcast", decision: "supported", check: integer(0, "bytes") },
  closeTimeout: { source: "roomcast", decision: "supported", check: durationMs(0) },
  rateLimit: { source: "roomcast", decision: "supported", check: rateLimit },
  shutdown: { source: "roomcast", decision: "supported", check: objectOf({ batchSize: integer(1, "connections"), batchIntervalMs: durationMs(0) }) },
  logger: { source: "roomcast", decision: "supported", check: logger },
  handledEmits: {
    source: "roomcast",
    decision: "supported",
    /* a window that keeps no reply (maxReplyBytes 0) could answer no resend: at least 1 byte, which keeps an empty reply */
    check: objectOf({ maxIds: integer(1, "ids"), maxAge: durationMs(1), maxRunTime: durationMs(1), maxReplyBytes: integer(1, "bytes") }),
  },
};

/* Names from older Socket.IO versions, answered with their replacement. */
const RENAMED: Readonly<Record<string, string>> = {
  origins: 'Socket.IO 2\'s "origins" became "cors" (cors: { origin: [...] })',
  handlePreflightRequest: 'Socket.IO 2\'s "handlePreflightRequest" became "cors"',
  wsPerMessageDeflate: 'use "perMessageDeflate"',
};

/** The error for an option name that is not in the table, with the nearest known name if any. */
export function unknownOptionError(name: string): TypeError {
  const renamed = Object.hasOwn(RENAMED, name) ? RENAMED[name] : undefined;
  if (renamed !== undefined) return new TypeError(`unknown option "${name}": ${renamed}`);
  const near = nearestName(name);
  return new TypeError(`unknown option "${name}"${near === undefined ? "" : `; did you mean "${near}"?`} (@roomcast/core's README, "Options", lists every option)`);
}

/** A table name within two edits of `name` (a typo), if any. */
function nearestName(name: string): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const known of Object.keys(OPTION_TABLE)) {
    const distance = editDistance(name.toLowerCase(), known.toLowerCase());
    if (distance < bestDistance) {
      best = known;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance, one row at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
