import WebSocket from "ws";

/** A raw roomcast client that counts the large frames it receives without keeping them. */
export interface CountingClient {
  readonly ws: WebSocket;
  /** Frames over 1 KiB received so far. */
  received(): number;
  /** Settles with the close code. */
  readonly closed: Promise<number>;
  /** The close code once closed. */
  closeCode(): number | undefined;
  /**
   * Stops reading: the kernel's buffers fill up, then the server's. `ws.pause()` rather than the
   * socket's own, which ws resumes after it inflates a compressed message.
   */
  pauseReading(): void;
  resumeReading(): void;
}

/**
 * Opens a connection to `url` and joins "/". msgpack: binary frames, so the client spends no time
 * validating UTF-8. It answers heartbeats, so only backpressure can close it.
 */
export function countingClient(url: string, options: { deflate?: boolean } = {}): Promise<CountingClient> {
  const ws = new WebSocket(url, ["roomcast.v1.msgpack"], { perMessageDeflate: options.deflate ?? false });
  let received = 0;
  let code: number | undefined;
  ws.on("error", () => {});
  ws.on("message", (data: Buffer) => {
    if (data.length === 2) ws.send(Buffer.from([0x91, 0x07])); // heartbeat [7]
    else if (data.length > 1024) received++;
  });
  const closed = new Promise<number>((resolve) =>
    ws.on("close", (closeCode) => {
      code = closeCode;
      resolve(closeCode);
    }),
  );
  return new Promise((resolve, reject) => {
    ws.once("open", () => {
      ws.send(Buffer.from([0x92, 0x00, 0xa1, 0x2f])); // [0, "/"]
      resolve({
        ws,
        received: () => received,
        closed,
        closeCode: () => code,
        pauseReading: () => ws.pause(),
        resumeReading: () => ws.resume(),
      });
    });
    ws.once("error", reject);
  });
}
