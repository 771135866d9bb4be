import { randomBytes } from "node:crypto";
import type { Adapter, AdapterNamespace, AdapterSocket, HandledLateNotice } from "../../../src/broadcast/adapter.js";
import type { OutgoingPacket } from "../../../src/dialect/outgoing-packet.js";
import type { BroadcastFlags, Handshake, Room } from "../../../src/types.js";

/** A namespace with in-memory sockets: enough of the server for protocol-level cluster tests. */
export class FakeNamespace implements AdapterNamespace {
  readonly sockets = new Map<string, FakeSocket>();
  adapter!: Adapter;
  readonly serverSideEvents: unknown[][] = [];
  readonly handledLate: HandledLateNotice[] = [];
  onServerSideEmitHook: ((args: unknown[]) => void) | undefined;

  private ackId = 1000;

  constructor(readonly name = "/") {}

  nextAckId(): number {
    return ++this.ackId;
  }

  onServerSideEmit(args: unknown[]): void {
    this.serverSideEvents.push(args);
    this.onServerSideEmitHook?.(args);
  }

  onHandledLate(notice: HandledLateNotice): void {
    this.handledLate.push(notice);
  }

  connect(data: unknown = {}): FakeSocket {
    const socket = new FakeSocket(this, data);
    this.sockets.set(socket.id, socket);
    this.adapter.addAll(socket.id, [socket.id]);
    return socket;
  }
}

export class FakeSocket implements AdapterSocket {
  readonly id = randomBytes(15).toString("base64url");
  readonly handshake: Handshake;
  connected = true;
  readonly received: { data: unknown[]; flags: BroadcastFlags | undefined }[] = [];
  readonly acks = new Map<number, (err: Error | null, ...args: unknown[]) => void>();

  constructor(
    private readonly nsp: FakeNamespace,
    public data: unknown,
  ) {
    this.handshake = {
      headers: { host: "test" },
      time: new Date(0).toString(),
      issued: 0,
      address: "127.0.0.1",
      xdomain: false,
      secure: false,
      url: "/roomcast",
      query: { q: "1" },
      auth: { token: this.id },
    };
  }

  deliver(packet: OutgoingPacket, flags: BroadcastFlags | undefined): void {
    this.received.push({ data: (packet.packet as { data: unknown[] }).data, flags });
  }

  expectAck(id: number, callback: (err: Error | null, ...args: unknown[]) => void): void {
    this.acks.set(id, callback);
  }

  /** Answers the pending ack `id` as a client would. */
  reply(id: number, ...args: unknown[]): void {
    const callback = this.acks.get(id);
    this.acks.delete(id);
    callback?.(null, ...args);
  }

  join(rooms: Room | Room[]): void {
    this.nsp.adapter.addAll(this.id, Array.isArray(rooms) ? rooms : [rooms]);
  }

  leave(room: Room): void {
    this.nsp.adapter.del(this.id, room);
  }

  disconnect(): void {
    this.connected = false;
    this.nsp.adapter.delAll(this.id);
    this.nsp.sockets.delete(this.id);
  }

  events(): unknown[] {
    return this.received.map((r) => r.data[0]);
  }
}
