import type { ChatUser, TypingUpdate } from "../../shared/chat-events.js";
import { directConversation, roomConversation, type ChatStore, type ConversationKey } from "../chat-store.js";

/** A typing hint is dropped when not refreshed within this; the sender refreshes every TYPING_REFRESH_MS. */
const TYPING_EXPIRY_MS = 5000;
export const TYPING_REFRESH_MS = 2000;
/** After this much quiet the sender says it stopped. */
const TYPING_IDLE_MS = 3000;

/**
 * "Alice is typing…", just above the message box, in rooms and in direct conversations. Hints
 * travel as volatile emits, so any of them may be lost: each one expires on its own rather than
 * waiting for a "stopped" that may never come.
 */
export class TypingIndicator {
  /** conversation key -> user id -> (nickname, expiry timer); emptied as hints expire. */
  private readonly typing = new Map<ConversationKey, Map<string, { nickname: string; timer: ReturnType<typeof setTimeout> }>>();

  constructor(private readonly root: HTMLElement, private readonly store: ChatStore) {
    store.subscribe((change) => {
      if (change.type === "active") this.render();
    });
  }

  update({ room, user, typing }: TypingUpdate): void {
    // A direct conversation is keyed by the other person, who is the one typing.
    this.set(room === null ? directConversation(user.id) : roomConversation(room), user, typing);
  }

  /** Someone's message arrived in `key`: they are no longer typing it. */
  clear(key: ConversationKey, userId: string): void {
    const entry = this.typing.get(key)?.get(userId);
    if (entry) this.set(key, { id: userId, nickname: entry.nickname, color: "" }, false);
  }

  private set(key: ConversationKey, user: ChatUser, typing: boolean): void {
    let users = this.typing.get(key);
    const previous = users?.get(user.id);
    if (previous) clearTimeout(previous.timer);
    if (typing) {
      if (!users) this.typing.set(key, (users = new Map()));
      users.set(user.id, { nickname: user.nickname, timer: setTimeout(() => this.set(key, user, false), TYPING_EXPIRY_MS) });
    } else if (users) {
      users.delete(user.id);
      if (users.size === 0) this.typing.delete(key);
    }
    if (key === this.store.activeKey) this.render();
  }

  private render(): void {
    const names = [...(this.typing.get(this.store.activeKey ?? "")?.values() ?? [])].map((u) => u.nickname);
    this.root.textContent =
      names.length === 0 ? "" : names.length === 1 ? `${names[0]} is typing…` : names.length <= 3 ? `${names.join(", ")} are typing…` : "Several people are typing…";
  }
}

/**
 * Decides when this page tells a conversation (a room, or the other person of a direct one) it is
 * typing: at the first keystroke, then at most every TYPING_REFRESH_MS, and "stopped" after
 * TYPING_IDLE_MS of quiet or when the message is sent.
 */
export class TypingSender {
  private target: ConversationKey | null = null;
  private lastSent = 0;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly send: (target: ConversationKey, typing: boolean) => void) {}

  keystroke(target: ConversationKey): void {
    if (this.target && this.target !== target) this.stop();
    this.target = target;
    const now = Date.now();
    if (now - this.lastSent >= TYPING_REFRESH_MS) {
      this.lastSent = now;
      this.send(target, true);
    }
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.stop(), TYPING_IDLE_MS);
  }

  stop(): void {
    clearTimeout(this.idleTimer);
    if (this.target) this.send(this.target, false);
    this.target = null;
    this.lastSent = 0;
  }
}
