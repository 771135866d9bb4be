import type { DirectReceipt } from "../shared/chat-events.js";
import { failureReason, type ChatSocket } from "./chat-connection.js";
import { directConversation, type ChatStore, type Conversation, type ConversationKey, type TimelineEntry } from "./chat-store.js";

/** Receipts that arrive before the server's answer to the send are kept this many, at most. */
const MAX_EARLY_RECEIPTS = 100;

/**
 * Our outgoing messages and what becomes of them. Sending never waits for the connection: the
 * client keeps emits in its own queue while offline and sends them in order once connected
 * (`retries`, see chat-connection.ts), so the page only tracks and shows each message's status:
 * queued → sending → delivered (a room message the server kept and passed on), or for a direct
 * message sent → delivered once the recipient's page says it has shown it. A message that
 * finally fails says why and can be sent again.
 */
export class Outbox {
  private readonly earlyReceipts = new Set<string>();

  constructor(
    private readonly socket: ChatSocket,
    private readonly store: ChatStore,
  ) {}

  send(conversation: Conversation, text: string): void {
    const localId = `local-${crypto.randomUUID()}`;
    this.store.addOwn(conversation.key, localId, text, this.socket.connected ? "sending" : "queued");
    if (conversation.kind === "room") void this.sendToRoom(conversation.key, conversation.title, localId, text);
    else if (conversation.peer) void this.sendDirect(conversation.key, conversation.peer.id, conversation.peer.nickname, localId, text);
  }

  /** Sends a failed message again, as a new message in its place at the end of the timeline. */
  retry(entry: TimelineEntry): void {
    const conversation = [...this.store.conversations.values()].find((c) => c.entries.includes(entry));
    if (!conversation || entry.status !== "failed") return;
    this.store.remove(conversation.key, entry.id);
    this.send(conversation, entry.text);
  }

  /** Connected: what was queued is on its way (the client sends it now, in order). */
  connected(): void {
    for (const { key, entry } of this.store.ownEntries("queued")) this.store.update(key, entry.id, { status: "sending" });
  }

  /**
   * Disconnected: what was on its way waits again. The client keeps it and sends it again after
   * the reconnect, with the id of its first send, so the server still handles it once.
   */
  disconnected(): void {
    for (const { key, entry } of this.store.ownEntries("sending")) this.store.update(key, entry.id, { status: "queued" });
  }

  /** How many of our messages wait for the connection. */
  get queuedCount(): number {
    return this.store.ownEntries("queued").length;
  }

  /** The recipient's page showed one of our direct messages. */
  receipt({ id, by }: DirectReceipt): void {
    const key = directConversation(by.id);
    if (this.store.find(key, id)) return this.store.update(key, id, { status: "delivered" });
    this.earlyReceipts.add(id);
    if (this.earlyReceipts.size > MAX_EARLY_RECEIPTS) this.earlyReceipts.delete(this.earlyReceipts.values().next().value!);
  }

  private async sendToRoom(key: ConversationKey, room: string, localId: string, text: string): Promise<void> {
    try {
      const reply = await this.socket.emitWithAck("room:message", room, text);
      if (reply.ok) this.store.update(key, localId, { status: "delivered", id: reply.id, seq: reply.seq, at: reply.at });
      else this.store.update(key, localId, { status: "failed", note: reply.error });
    } catch (err) {
      this.store.update(key, localId, { status: "failed", note: failureReason(err) });
    }
  }

  private async sendDirect(key: ConversationKey, peerId: string, nickname: string, localId: string, text: string): Promise<void> {
    try {
      const reply = await this.socket.emitWithAck("dm:send", peerId, text);
      if (!reply.ok) return this.store.update(key, localId, { status: "failed", note: reply.error });
      const { message } = reply;
      if (this.earlyReceipts.delete(message.id)) {
        return this.store.update(key, localId, { status: "delivered", id: message.id, at: message.at });
      }
      const note = reply.recipient === "away" ? `sent: ${nickname} is away, it reaches them when they are back` : `sent, not yet seen by ${nickname}`;
      this.store.update(key, localId, { status: "sent", id: message.id, at: message.at, note });
    } catch (err) {
      this.store.update(key, localId, { status: "failed", note: failureReason(err) });
    }
  }
}
