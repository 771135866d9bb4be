import WebSocket from "ws";
import type { OpenWebSocket } from "./websocket-types.js";

/** Node transport on the `ws` package; supports `extraHeaders` on the upgrade request. */
export const openWebSocket: OpenWebSocket = (url, protocols, options, handlers) => {
  const ws = new WebSocket(url, protocols, { headers: options.extraHeaders });
  ws.on("open", () => handlers.onOpen(ws.protocol));
  ws.on("message", (data: Buffer, isBinary: boolean) => handlers.onMessage(isBinary ? data : data.toString()));
  // kept for the socket's whole life: an unhandled 'error' would crash the process
  ws.on("error", (err: Error) => handlers.onError(err));
  ws.on("close", (code: number, reason: Buffer) => handlers.onClose(code, reason.toString()));
  return {
    send: (data) => ws.send(data),
    close(code, reason) {
      if (code && ws.readyState === WebSocket.OPEN) ws.close(code, reason);
      else ws.terminate();
    },
  };
};
