import type { OpenWebSocket } from "./websocket-types.js";

/** The platform WebSocket (browsers, Deno, Bun, Node >= 22). Headers cannot be set: `extraHeaders` is ignored. */
export const openWebSocket: OpenWebSocket = (url, protocols, _options, handlers) => {
  const ws = new globalThis.WebSocket(url, protocols);
  ws.binaryType = "arraybuffer";
  ws.onopen = () => handlers._onOpen(ws.protocol);
  ws.onmessage = ({ data }: MessageEvent<string | ArrayBuffer>) => handlers._onMessage(typeof data === "string" ? data : new Uint8Array(data));
  ws.onerror = () => handlers._onError(new Error("websocket error"));
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
