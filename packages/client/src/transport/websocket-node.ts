import WebSocket from "ws";
import { connectFailed, readRefusalBody, upgradeRefused } from "./handshake-failure.js";
import type { OpenWebSocket, TransportHandlers, TransportOptions } from "./websocket-types.js";
export { turnNow as frameTime } from "./turn-clock-node.js";

type NodeOnly = Exclude<keyof TransportOptions, "extraHeaders">;

const isMaterial = (value: unknown): boolean => typeof value === "string" || value instanceof Uint8Array;
/* key and pfx lists may also hold `{ pem | buf, passphrase }` objects, as tls.createSecureContext takes them */
const isMaterialList = (objects: boolean) => (value: unknown) =>
  isMaterial(value) ||
  (Array.isArray(value) && value.every((entry) => isMaterial(entry) || (objects && typeof entry === "object" && entry !== null)));

/** The Node-only options, each with its test and what it must be; they go to `ws` as they are. */
const NODE_ONLY: Record<NodeOnly, [(value: unknown) => boolean, string]> = {
  ca: [isMaterialList(false), "PEM text, a Buffer or an array of them"],
  cert: [isMaterialList(false), "PEM text, a Buffer or an array of them"],
  key: [isMaterialList(true), "PEM text, a Buffer or an array of them"],
  pfx: [isMaterialList(true), "a Buffer, or an array of Buffers or { buf, passphrase } objects"],
  passphrase: [(value) => typeof value === "string", "a string"],
  ciphers: [(value) => typeof value === "string", "a string"],
  rejectUnauthorized: [(value) => typeof value === "boolean", "a boolean"],
  agent: [(value) => value === false || (typeof value === "object" && value !== null), "an http.Agent / https.Agent or false"],
};

/** Throws a TypeError naming a Node-only option whose value has the wrong type. */
export const checkTransportOption = (name: string, value: unknown): void => {
  const rule = NODE_ONLY[name as NodeOnly];
  if (rule && !rule[0](value)) {
    throw new TypeError(`roomcast: option "${name}" must be ${rule[1]}, got ${value === null ? "null" : typeof value}`);
  }
};

/*
 * The handlers ride on the WebSocket itself, so that one listener function serves every
 * connection: with many clients in a process, each frame then reaches its handlers through the
 * WebSocket `ws` just used (`this` in the listener) rather than through a closure and a context
 * of its own, two objects fewer to fetch per frame.
 */
const HANDLERS = Symbol("handlers");
type WithHandlers = WebSocket & { [HANDLERS]: TransportHandlers };

function onMessage(this: WebSocket, data: Buffer, isBinary: boolean): void {
  (this as WithHandlers)[HANDLERS]._onMessage(isBinary ? data : data.toString());
}

/**
 * Node transport on the `ws` package. Sends `extraHeaders` with the upgrade request and hands
 * the TLS options (`ca`, `cert`, `key`, `pfx`, `passphrase`, `ciphers`, `rejectUnauthorized`)
 * and `agent` to `ws`, which passes them to `https.request`.
 */
export const openWebSocket: OpenWebSocket = (url, protocols, options, handlers) => {
  const wsOptions: Record<string, unknown> = { headers: options.extraHeaders };
  for (const name of Object.keys(NODE_ONLY) as NodeOnly[]) if (options[name] !== undefined) wsOptions[name] = options[name];
  const ws = new WebSocket(url, protocols, wsOptions) as WithHandlers;
  ws[HANDLERS] = handlers;
  let opened = false;
  let failed = false;
  // the first failure before the handshake is the one that explains it; `ws` reports more as it aborts
  const fail = (err: Error) => {
    if (failed) return;
    failed = true;
    handlers._onError(err);
    ws.terminate();
  };
  ws.on("open", () => {
    opened = true;
    handlers._onOpen(ws.protocol);
  });
  // with this listener `ws` leaves the refused response to us: its body says why
  ws.on("unexpected-response", (_req, res) => readRefusalBody(res, (body) => fail(upgradeRefused(url, res.statusCode ?? 0, body))));
  ws.on("message", onMessage);
  // kept for the socket's whole life: an unhandled 'error' would crash the process
  ws.on("error", (err: Error) => (opened ? handlers._onError(err) : fail(connectFailed(url, err))));
  ws.on("close", (code: number, reason: Buffer) => handlers._onClose(code, reason.toString()));
  return {
    _send: (data) => ws.send(data),
    _close(code, reason) {
      if (code && ws.readyState === WebSocket.OPEN) ws.close(code, reason);
      else ws.terminate();
    },
  };
};
