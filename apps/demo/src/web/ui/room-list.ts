import { normalizeRoomName } from "../../shared/chat-rules.js";
import { roomConversation, type ChatStore, type Conversation } from "../chat-store.js";
import { el } from "./element.js";

export interface RoomActions {
  join(room: string): void;
  leave(room: string): void;
}

/** The sidebar: rooms (join, leave, create) and open direct conversations, with unread counts. */
export class RoomList {
  private readonly rooms: HTMLElement;
  private readonly directs: HTMLElement;
  private readonly createError: HTMLElement;

  constructor(root: HTMLElement, private readonly store: ChatStore, private readonly actions: RoomActions) {
    this.rooms = el("ul", { className: "conversation-list", data: { testid: "room-list" } });
    this.directs = el("ul", { className: "conversation-list", data: { testid: "dm-list" } });
    this.createError = el("p", { className: "form-error", data: { testid: "create-room-error" } });
    const input = el("input", { attrs: { name: "room", placeholder: "new-room", maxlength: "32" }, data: { testid: "create-room-input" } });
    const form = el(
      "form",
      { className: "create-room", data: { testid: "create-room" } },
      input,
      el("button", { attrs: { type: "submit" }, text: "Create" }),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const room = normalizeRoomName(input.value);
      if (!room) {
        this.createError.textContent = "1-32 characters: a-z, 0-9, '_' and '-'";
        return;
      }
      this.createError.textContent = "";
      input.value = "";
      this.actions.join(room);
    });
    root.replaceChildren(el("h2", { text: "Rooms" }), this.rooms, form, this.createError, el("h2", { text: "Direct messages" }), this.directs);
    store.subscribe((change) => {
      if (change.type === "conversations" || change.type === "active") this.render();
    });
    this.render();
  }

  private render(): void {
    const all = [...this.store.conversations.values()];
    this.rooms.replaceChildren(...all.filter((c) => c.kind === "room").sort(byTitle).map((c) => this.roomItem(c)));
    const directs = all.filter((c) => c.kind === "dm");
    this.directs.replaceChildren(
      ...(directs.length ? directs.map((c) => this.directItem(c)) : [el("li", { className: "hint", text: "Click a user to write to them." })]),
    );
  }

  private roomItem(conversation: Conversation): HTMLElement {
    const room = conversation.title;
    const open = el(
      "button",
      {
        className: "conversation-link",
        data: { testid: `room-${room}` },
        on: { click: () => (conversation.joined ? this.store.open(roomConversation(room)) : this.actions.join(room)) },
      },
      `# ${room}`,
      badge(conversation.unread),
    );
    const leave = conversation.joined
      ? el("button", { className: "leave", data: { testid: `leave-${room}` }, attrs: { title: `Leave #${room}` }, text: "Leave", on: { click: () => this.actions.leave(room) } })
      : null;
    return el("li", { className: itemClass(conversation, this.store.activeKey), data: { joined: String(conversation.joined) } }, open, leave);
  }

  private directItem(conversation: Conversation): HTMLElement {
    return el(
      "li",
      { className: itemClass(conversation, this.store.activeKey) },
      el(
        "button",
        { className: "conversation-link", data: { testid: `dm-${conversation.title}` }, on: { click: () => this.store.open(conversation.key) } },
        el("span", { className: "swatch-dot", attrs: { style: `background:${conversation.peer?.color ?? "#888"}` } }),
        conversation.title,
        badge(conversation.unread),
      ),
    );
  }
}

function badge(unread: number): HTMLElement | null {
  return unread > 0 ? el("span", { className: "badge", text: String(unread) }) : null;
}

function itemClass(conversation: Conversation, activeKey: string | null): string {
  return [conversation.key === activeKey ? "active" : "", conversation.joined ? "joined" : ""].join(" ").trim();
}

function byTitle(a: Conversation, b: Conversation): number {
  return a.title.localeCompare(b.title);
}
