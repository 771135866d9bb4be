import WebSocket from "ws";
import type { OpenWebSocket, Transport } from "./websocket-types.js";

/** Node transport on the `ws` package; supports `extraHeaders` on the upgrade request. */
export const openWebSocket: OpenWebSocket = (url, protocols, options, handlers) => {
  const ws = new WebSocket(url, protocols, { headers: options.extraHeaders });
  let live = true;
  ws.on("open", () => live && handlers.onOpen(ws.protocol));
  ws.on("message", (data: Buffer, isBinary: boolean) => {
    if (live) handlers.onMessage(isBinary ? data : data.toString());
  });
  // kept for the socket's whole life: an unhandled 'error' would crash the process
  ws.on("error", (err: Error) => live && handlers.onError(err));
  ws.on("close", (code: number, reason: Buffer) => live && handlers.onClose(code, reason.toString()));
  const transport: Transport = {
    send: (data) => ws.send(data),
    close(code, reason) {
      live = false;
      if (ws.readyState === WebSocket.OPEN) ws.close(code, reason);
      else ws.terminate();
    },
    terminate() {
      live = false;
      ws.terminate();
    },
  };
  return transport;
};
