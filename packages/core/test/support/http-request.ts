import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { connect, type Socket } from "node:net";

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One HTTP request to 127.0.0.1:`port`; resolves with the status, headers and body. */
export function httpAnswer(port: number, method: string, path: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, method, path, headers, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** The CORS headers of an answer (access-control-* and vary), for comparing two servers. */
export function corsHeadersOf(answer: HttpAnswer): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(answer.headers)) {
    if (name.startsWith("access-control-") || name === "vary") out[name] = value;
  }
  return out;
}

/** A raw TCP connection that sent a WebSocket upgrade request: what came back, and whether it closed. */
export interface RawUpgrade {
  socket: Socket;
  /** Bytes the server answered so far. */
  answered: string;
  closed: boolean;
  /** Resolves once the server closed the connection. */
  whenClosed: Promise<void>;
}

/** Sends a WebSocket upgrade request for `path` over a raw TCP socket; resolves once it is sent. */
export function rawUpgrade(port: number, path: string): Promise<RawUpgrade> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let onClose: () => void = () => {};
    const state: RawUpgrade = { socket, answered: "", closed: false, whenClosed: new Promise((done) => (onClose = done)) };
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (state.answered += chunk));
    socket.on("error", () => {});
    socket.on("close", () => {
      state.closed = true;
      onClose();
    });
    socket.on("connect", () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
          "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        () => resolve(state),
      );
    });
  });
}
