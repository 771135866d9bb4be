import type { Tap } from "./tcp-proxy.js";

/**
 * Reads the server-to-client bytes of one WebSocket connection as they pass a proxy: skips the
 * HTTP 101 response, then splits RFC 6455 frames (unmasked, as servers send them). `push` returns
 * each frame that completes in a chunk, with the offset in that chunk where the frame started
 * (negative when it started in an earlier chunk).
 */
export class ServerFrames {
  private pending = Buffer.alloc(0);
  /** Offset in the stream of `pending[0]`. */
  private base = 0;
  private inHeaders = true;

  push(chunk: Buffer): { start: number; text: string }[] {
    const chunkStart = this.base + this.pending.length;
    const bytes = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let pos = 0;
    const frames: { start: number; text: string }[] = [];
    if (this.inHeaders) {
      const end = bytes.indexOf("\r\n\r\n");
      if (end === -1) {
        this.keep(bytes, 0);
        return frames;
      }
      this.inHeaders = false;
      pos = end + 4;
    }
    for (;;) {
      if (bytes.length - pos < 2) break;
      let length = bytes[pos + 1] & 0x7f;
      let header = 2;
      if (length === 126) {
        if (bytes.length - pos < 4) break;
        length = bytes.readUInt16BE(pos + 2);
        header = 4;
      } else if (length === 127) {
        if (bytes.length - pos < 10) break;
        length = Number(bytes.readBigUInt64BE(pos + 2));
        header = 10;
      }
      if (bytes.length - pos < header + length) break;
      frames.push({ start: this.base + pos - chunkStart, text: bytes.toString("utf8", pos + header, pos + header + length) });
      pos += header + length;
    }
    this.keep(bytes, pos);
    return frames;
  }

  private keep(bytes: Buffer, from: number): void {
    this.base += from;
    this.pending = Buffer.from(bytes.subarray(from));
  }
}

/**
 * A tap for `TcpProxy` that cuts a connection just before a frame `match` accepts reaches the
 * client, when `armed()` (asked at each such frame) says so; what came before it is delivered.
 */
export function cutBefore(match: (text: string) => boolean, armed: () => boolean): () => Tap {
  return () => {
    const frames = new ServerFrames();
    return (direction, chunk) => {
      if (direction !== "toClient") return undefined;
      for (const frame of frames.push(chunk)) {
        if (match(frame.text) && armed()) return { forward: Math.max(0, frame.start), cut: true };
      }
      return undefined;
    };
  };
}
