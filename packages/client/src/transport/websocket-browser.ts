import type { OpenWebSocket } from "./websocket-types.js";

/** Date.now() per frame (see websocket-types.ts). */
export const frameTime = Date.now;

/**
 * A browser's WebSocket takes its TLS trust, client certificates and proxy from the browser, so
 * the Node-only options cannot apply. Ignoring them would hide, say, a `rejectUnauthorized: false`
 * that the app relies on; refusing them says so the first time the client is built.
 */
export const checkTransportOption = (name: string): void => {
  throw new TypeError(`roomcast: option "${name}" only applies on Node (browsers use their own TLS and proxy settings)`);
};

/** The platform WebSocket (browsers, Deno, Bun, Node >= 22). Headers cannot be set: `extraHeaders` is ignored. */
export const openWebSocket: OpenWebSocket = (url, protocols, _options, handlers) => {
  const ws = new globalThis.WebSocket(url, protocols);
  let opened = false;
  ws.binaryType = "arraybuffer";
  ws.onopen = () => {
    opened = true;
    handlers._onOpen(ws.protocol);
  };
  ws.onmessage = ({ data }: MessageEvent<string | ArrayBuffer>) => handlers._onMessage(typeof data === "string" ? data : new Uint8Array(data));
  // browsers hide why a handshake failed (status, refusal, TLS) from scripts: name the likely causes
  ws.onerror = () =>
    handlers._onError(
      new Error(
        opened
          ? "websocket error"
          : `WebSocket connection to ${url.split("?")[0]} failed (browsers do not say why: is a roomcast server listening at this path?)`,
      ),
    );
  ws.onclose = ({ code, reason }: CloseEvent) => handlers._onClose(code, reason);
  return {
    _send: (data) => ws.send(data),
    _close(code, reason) {
      try {
        ws.close(code, reason);
      } catch {
        // browsers only accept 1000 and 3000-4999 from scripts: close without a code instead
        ws.close();
      }
    },
  };
};
