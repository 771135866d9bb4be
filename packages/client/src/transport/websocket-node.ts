import WebSocket from "ws";
import type { OpenWebSocket } from "./websocket-types.js";

/** Node transport on the `ws` package; supports `extraHeaders` on the upgrade request. */
export const openWebSocket: OpenWebSocket = (url, protocols, options, handlers) => {
  const ws = new WebSocket(url, protocols, { headers: options.extraHeaders });
  ws.on("open", () => handlers._onOpen(ws.protocol));
  ws.on("message", (data: Buffer, isBinary: boolean) => handlers._onMessage(isBinary ? data : data.toString()));
  // kept for the socket's whole life: an unhandled 'error' would crash the process
  ws.on("error", (err: Error) => handlers._onError(err));
  ws.on("close", (code: number, reason: Buffer) => handlers._onClose(code, reason.toString()));
  return {
    _send: (data) => ws.send(data),
    _close(code, reason) {
      if (code && ws.readyState === WebSocket.OPEN) ws.close(code, reason);
      else ws.terminate();
    },
  };
};
