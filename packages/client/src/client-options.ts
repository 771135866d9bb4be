import { checkTransportOption } from "#websocket";

/*
 * Every option `io()`, `new Manager()` and `manager.socket()` accept, and every socket.io-client
 * option roomcast refuses, in one place. Options are checked when a manager or socket is built, so
 * an option ported from Socket.IO is never silently ignored. One letter per kind of value keeps
 * the table small in the browser bundle:
 *
 *   b boolean   s string   o object (not an array)   a object or function
 *   m a delay in ms that setTimeout can wait   c a whole number >= 0 or Infinity
 *   p the same, >= 1   r a number from 0 to 1   t a transports list   0 false only
 *   N Node-only, checked by the transport (`#websocket`)
 *
 * The README's options section follows this table; a test checks that they agree, and a type
 * test that it has exactly the keys of `ClientOptions`.
 */
export const SUPPORTED = {
  path: "s",
  reconnection: "b",
  reconnectionAttempts: "c",
  reconnectionDelay: "m",
  reconnectionDelayMax: "m",
  randomizationFactor: "r",
  timeout: "m",
  autoConnect: "b",
  codec: "o",
  query: "o",
  extraHeaders: "o",
  withCredentials: "b",
  transports: "t",
  upgrade: "b",
  rememberUpgrade: "b",
  tryAllTransports: "0",
  ca: "N",
  cert: "N",
  key: "N",
  pfx: "N",
  passphrase: "N",
  ciphers: "N",
  rejectUnauthorized: "N",
  agent: "N",
  auth: "a",
  authInSubprotocol: "b",
  ackTimeout: "m",
  retries: "c",
  maxBufferedPackets: "p",
  forceNew: "b",
  multiplex: "b",
} as const;

const POLLING = "it only applies to long-polling: remove it";
const CODEC = "use `codec`";
const IN_URL = "put it in the URL";

/** socket.io-client options roomcast does not take, each with what to do instead (the README says why). */
export const REFUSED: Record<string, string> = {
  parser: CODEC,
  forceBase64: CODEC,
  protocols: "use `codec` or `authInSubprotocol`",
  host: IN_URL,
  hostname: IN_URL,
  port: IN_URL,
  secure: IN_URL,
  timestampParam: POLLING,
  timestampRequests: POLLING,
  requestTimeout: POLLING,
  transportOptions: "pass them at the top level",
  perMessageDeflate: "remove it: the server negotiates compression",
  addTrailingSlash: "remove it: `path` is used as given",
  closeOnBeforeunload: 'call socket.disconnect() on "pagehide"',
  useNativeTimers: "remove it",
  autoUnref: "call manager.close() to let the process exit",
  transportImplementations: "remove it: the client is WebSocket-only",
};

/*
 * Refused options given socket.io-client's own default: that value asks for nothing roomcast
 * does differently, so code that spells the default out keeps working.
 */
const DEFAULTS: Record<string, unknown> = {
  forceBase64: false,
  addTrailingSlash: true,
  closeOnBeforeunload: false,
  useNativeTimers: false,
  autoUnref: false,
};

const WEBSOCKET_ONLY = "(roomcast's client is WebSocket-only)";

/*
 * Each kind: its test and what the message says it must be. Numbers stop at 2^31-1 ms, the
 * longest delay setTimeout can wait (beyond it timers fire at once).
 */
const isObject = (value: unknown) => typeof value === "object" && value !== null && !Array.isArray(value);
const isNumber = (min: number, max: number, whole?: 1) => (value: unknown) =>
  typeof value === "number" && value >= min && value <= max && (!whole || value === Infinity || Number.isInteger(value));
const KINDS: Record<string, [(value: unknown) => boolean, string]> = {
  b: [(value) => typeof value === "boolean", "a boolean"],
  s: [(value) => typeof value === "string", "a string"],
  o: [isObject, "an object"],
  a: [(value) => typeof value === "function" || isObject(value), "an object or a function"],
  m: [isNumber(0, 2 ** 31 - 1), "ms from 0 to 2147483647"],
  c: [isNumber(0, Infinity, 1), "a whole number >= 0 or Infinity"],
  p: [isNumber(1, Infinity, 1), "a whole number >= 1 or Infinity"],
  r: [isNumber(0, 1), "a number from 0 to 1"],
  // any list that includes "websocket" ends on a WebSocket with socket.io-client (directly, or by
  // upgrading from polling), which is where roomcast's client starts; a list without it does not
  t: [
    (value) => Array.isArray(value) && value.includes("websocket") && value.every((name) => /^(websocket|polling|webtransport)$/.test(name)),
    'a list that includes "websocket" ' + WEBSOCKET_ONLY,
  ],
  0: [(value) => value === false, "false " + WEBSOCKET_ONLY],
};

/**
 * Checks one option. Undefined means "not given", as in socket.io-client.
 *
 * @throws TypeError naming the option: unknown, refused (with what to do instead), or a value
 *   of the wrong type or range.
 */
export function checkOption(name: string, value: unknown): void {
  const letter: string | undefined = SUPPORTED[name as keyof typeof SUPPORTED];
  const kind = letter && KINDS[letter];
  if (value === undefined || (Object.hasOwn(DEFAULTS, name) && DEFAULTS[name] === value)) return;
  if (letter === "N") return checkTransportOption(name, value);
  if (kind && kind[0](value)) return;
  let got: string;
  try {
    got = typeof value === "string" || Array.isArray(value) ? JSON.stringify(value) : String(value);
  } catch {
    got = typeof value; // no string form: a null-prototype object, an array holding a BigInt
  }
  throw new TypeError(
    `roomcast: option "${name}" ` +
      (kind ? `must be ${kind[1]}, got ${got}` : Object.hasOwn(REFUSED, name) ? "is not supported: " + REFUSED[name] : "is unknown (see @roomcast/client's README)"),
  );
}

/**
 * Checks every option of `opts` and returns `defaults` overlaid with the ones given (undefined
 * values keep the default).
 *
 * @throws TypeError when `opts` is not an object, or from {@link checkOption}.
 */
export function resolveOptions<T extends object>(defaults: T, opts: object | null | undefined): T {
  if (opts != null && typeof opts !== "object") throw new TypeError("roomcast: options must be an object");
  const resolved = { ...defaults } as Record<string, unknown>;
  for (const [name, value] of Object.entries(opts ?? {})) {
    checkOption(name, value);
    if (value !== undefined) resolved[name] = value;
  }
  return resolved as T;
}
