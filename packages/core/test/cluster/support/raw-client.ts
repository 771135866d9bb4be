import WebSocket from "ws";

type EventArgs = unknown[];

/**
 * A bare WebSocket client speaking roomcast's JSON subprotocol: enough to join a namespace,
 * record events, answer acks and heartbeats. Keeps the cluster tests independent of the client
 * package.
 */
export class RawClient {
  readonly events: EventArgs[] = [];
  sid = "";
  closed = false;
  /** Replies to events that ask for an ack; default: no reply. */
  onAck: ((event: string, args: unknown[]) => unknown[] | undefined) | undefined;
  private constructor(private readonly ws: WebSocket) {}

  static connect(port: number, nsp = "/", auth?: Record<string, unknown>): Promise<RawClient> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/roomcast?node=${port}`, ["roomcast.v1.json"]);
    const client = new RawClient(ws);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no CONNECTED")), 5000);
      ws.on("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      ws.on("close", () => (client.closed = true));
      ws.on("open", () => ws.send(JSON.stringify(auth ? [0, nsp, auth] : [0, nsp])));
      ws.on("message", (data) => {
        const packet = JSON.parse(data.toString()) as unknown[];
        switch (packet[0]) {
          case 1:
            client.sid = (packet[2] as { sid: string }).sid;
            clearTimeout(timer);
            resolve(client);
            return;
          case 2:
            clearTimeout(timer);
            reject(new Error(`connect error: ${String(packet[2])}`));
            return;
          case 4:
            client.events.push(packet.slice(2));
            return;
          case 5: {
            const [, , id, event, ...args] = packet as [number, string, number, string, ...unknown[]];
            client.events.push([event, ...args]);
            const reply = client.onAck?.(event, args);
            if (reply) ws.send(JSON.stringify([6, nsp, id, ...reply]));
            return;
          }
          case 7:
            ws.send("[7]");
            return;
        }
      });
    });
  }

  /** Event names received so far, in order. */
  names(): string[] {
    return this.events.map((e) => e[0] as string);
  }

  count(event: string): number {
    return this.names().filter((name) => name === event).length;
  }

  emit(event: string, ...args: unknown[]): void {
    this.ws.send(JSON.stringify([4, "/", event, ...args]));
  }

  close(): void {
    this.ws.close();
  }
}
