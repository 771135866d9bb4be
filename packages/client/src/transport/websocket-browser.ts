import type { OpenWebSocket, Transport } from "./websocket-types.js";

/** The platform WebSocket (browsers, Deno, Bun, Node >= 22). Headers cannot be set: `extraHeaders` is ignored. */
export const openWebSocket: OpenWebSocket = (url, protocols, _options, handlers) => {
  const ws = new globalThis.WebSocket(url, protocols);
  ws.binaryType = "arraybuffer";
  let live = true;
  ws.onopen = () => live && handlers.onOpen(ws.protocol);
  ws.onmessage = (event: MessageEvent) => {
    if (!live) return;
    const data = event.data as string | ArrayBuffer;
    handlers.onMessage(typeof data === "string" ? data : new Uint8Array(data));
  };
  ws.onerror = () => live && handlers.onError(new Error("websocket error"));
  ws.onclose = (event: CloseEvent) => live && handlers.onClose(event.code, event.reason);
  const stop = (code?: number, reason?: string) => {
    live = false;
    try {
      ws.close(code, reason);
    } catch {
      // invalid code for this state: the socket is going away anyway
    }
  };
  const transport: Transport = {
    send: (data) => ws.send(data),
    close: stop,
    terminate: () => stop(),
  };
  return transport;
};
