import { boolean, isPlainObject, objectOf, optionTypeError, urlPath, type OptionCheck } from "./option-checks.js";

/** The transports of the Socket.IO endpoint (Engine.IO's names; WebTransport is not served). */
export type TransportName = "polling" | "websocket";

/** Server option `socketio` as given: `true`, or the endpoint's settings. */
export interface SocketIoOptions {
  /** Path of the Socket.IO endpoint, starting with "/". Default "/socket.io/" (Socket.IO's). */
  path?: string;
  /** Serve HTTP long-polling (then upgraded to WebSocket). Default true. */
  polling?: boolean;
}

/** The Socket.IO endpoint after `resolveOptions`: its path always ends with "/". */
export interface SocketIoEndpoint {
  path: string;
  polling: boolean;
}

/* Socket.IO's path and transports: an unmodified socket.io-client finds the endpoint */
export const DEFAULT_SOCKETIO_PATH = "/socket.io/";
export const SOCKETIO_TRANSPORTS: readonly TransportName[] = Object.freeze(["polling", "websocket"]);
/* without the Socket.IO endpoint, roomcast's own WebSocket endpoint is all there is */
export const NATIVE_TRANSPORTS: readonly TransportName[] = Object.freeze(["websocket"]);
/* Engine.IO's value: a probe WebSocket has 10 s to complete the upgrade from long-polling */
export const DEFAULT_UPGRADE_TIMEOUT = 10_000;

const checkSocketIoObject = objectOf({ path: urlPath, polling: boolean }, "a boolean or { path?: string, polling?: boolean }");

export const checkSocketIo: OptionCheck = (value, name) => {
  if (typeof value === "boolean") return;
  if (!isPlainObject(value)) throw optionTypeError(name, "a boolean or { path?: string, polling?: boolean }", value);
  checkSocketIoObject(value, name);
};

export const checkTransports: OptionCheck = (value, name) => {
  const valid = Array.isArray(value) && value.length > 0 && value.every((entry) => entry === "polling" || entry === "websocket");
  if (!valid) {
    if (Array.isArray(value) && value.includes("webtransport")) {
      throw new TypeError(`option "${name}": "webtransport" is not supported; use ["polling", "websocket"] or ["websocket"]`);
    }
    throw optionTypeError(name, 'a non-empty array of "polling" and "websocket"', value);
  }
};

/**
 * What the Socket.IO endpoint's options resolve to. `transports` are the ones served: ["websocket"]
 * without the Socket.IO endpoint, Engine.IO's ["polling", "websocket"] with it unless narrowed.
 */
export interface ResolvedSocketIo {
  socketio: false | SocketIoEndpoint;
  transports: readonly TransportName[];
  allowUpgrades: boolean;
  upgradeTimeout: number;
}

interface SocketIoInput {
  socketio?: boolean | SocketIoOptions;
  transports?: readonly TransportName[];
  allowUpgrades?: boolean;
  upgradeTimeout?: number;
  path: string;
}

/**
 * Resolves `socketio` with Engine.IO's `transports`, `allowUpgrades` and `upgradeTimeout`. Values
 * are already type-checked. Throws a TypeError for a combination that cannot mean anything: an
 * endpoint option changed while `socketio` is off (roomcast's own endpoint is WebSocket only, so
 * there `transports` may only be ["websocket"]), `socketio.polling` contradicting `transports`,
 * or the two endpoints on one path.
 */
export function resolveSocketIo(input: SocketIoInput): ResolvedSocketIo {
  const given = input.socketio === true ? {} : input.socketio;
  const allowUpgrades = input.allowUpgrades ?? true;
  const upgradeTimeout = input.upgradeTimeout ?? DEFAULT_UPGRADE_TIMEOUT;
  if (given === undefined || given === false) {
    const transports = input.transports;
    if (transports !== undefined && (transports.length !== 1 || transports[0] !== "websocket")) {
      throw new TypeError(
        `option "transports": roomcast's own protocol is WebSocket only; long-polling is served by the Socket.IO endpoint: set socketio: true, or transports: ["websocket"]`,
      );
    }
    if (!allowUpgrades) throw new TypeError('option "allowUpgrades" applies to the Socket.IO endpoint: set socketio: true, or remove it');
    if (upgradeTimeout !== DEFAULT_UPGRADE_TIMEOUT) {
      throw new TypeError('option "upgradeTimeout" applies to the Socket.IO endpoint: set socketio: true, or remove it');
    }
    return { socketio: false, transports: NATIVE_TRANSPORTS, allowUpgrades, upgradeTimeout };
  }
  const transports = input.transports ?? SOCKETIO_TRANSPORTS;
  let polling = transports.includes("polling");
  if (given.polling !== undefined) {
    if (given.polling && input.transports !== undefined && !polling) {
      throw new TypeError('options "socketio.polling" (true) and "transports" (without "polling") disagree: give one');
    }
    polling = given.polling;
  }
  if (!polling && !transports.includes("websocket")) {
    throw new TypeError('option "socketio.polling" is false and "transports" has no "websocket": the Socket.IO endpoint would serve nothing');
  }
  const resolvedTransports: readonly TransportName[] = transports.filter((name) => name !== "polling" || polling);
  const base = given.path ?? DEFAULT_SOCKETIO_PATH;
  const path = base.endsWith("/") ? base : `${base}/`;
  if (path.slice(0, -1) === input.path || path === input.path) {
    throw new TypeError(`options "path" and "socketio.path" are both ${JSON.stringify(input.path)}: roomcast's endpoint and the Socket.IO endpoint need paths of their own`);
  }
  return { socketio: { path, polling }, transports: resolvedTransports, allowUpgrades, upgradeTimeout };
}
