import { normalizeRoomName } from "../../shared/chat-rules.js";
import { roomConversation, type ChatStore, type Conversation } from "../chat-store.js";
import { avatar, presenceIndicator } from "./avatar.js";
import { el } from "./element.js";

export interface RoomActions {
  join(room: string): void;
  leave(room: string): void;
}

/** The rooms drawer: rooms (join, leave, create) and open direct conversations, with unread counts. */
export class RoomList {
  private readonly rooms: HTMLElement;
  private readonly directs: HTMLElement;
  private readonly createError: HTMLElement;

  constructor(root: HTMLElement, private readonly store: ChatStore, private readonly actions: RoomActions) {
    this.rooms = el("ul", { className: "conversation-list", data: { testid: "room-list" }, attrs: { "aria-labelledby": "rooms-heading" } });
    this.directs = el("ul", { className: "conversation-list", data: { testid: "dm-list" }, attrs: { "aria-labelledby": "dms-heading" } });
    this.createError = el("p", { className: "form-error", data: { testid: "create-room-error" }, attrs: { role: "alert", id: "create-room-error" } });
    const input = el("input", {
      attrs: { id: "create-room-input", name: "room", placeholder: "new-room", maxlength: "32", autocomplete: "off", "aria-describedby": "create-room-error" },
      data: { testid: "create-room-input" },
    });
    const form = el(
      "form",
      { className: "create-room", data: { testid: "create-room" } },
      el("label", { className: "visually-hidden", attrs: { for: "create-room-input" }, text: "New room name" }),
      input,
      el("button", { className: "btn", attrs: { type: "submit" }, text: "Create" }),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const room = normalizeRoomName(input.value);
      if (!room) {
        this.createError.textContent = "Room names are 1-32 characters: a-z, 0-9, '_' and '-'.";
        return;
      }
      this.createError.textContent = "";
      input.value = "";
      this.actions.join(room);
    });
    root.replaceChildren(
      el("h2", { attrs: { id: "rooms-heading" }, text: "Rooms" }),
      this.rooms,
      form,
      this.createError,
      el("h2", { attrs: { id: "dms-heading" }, text: "Direct messages" }),
      this.directs,
    );
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
      ...(directs.length ? directs.map((c) => this.directItem(c)) : [el("li", { className: "hint", text: "Pick someone under People to write to them." })]),
    );
  }

  private roomItem(conversation: Conversation): HTMLElement {
    const room = conversation.title;
    const active = conversation.key === this.store.activeKey;
    const open = el(
      "button",
      {
        className: "conversation-link",
        data: { testid: `room-${room}` },
        attrs: { type: "button", ...(active ? { "aria-current": "true" } : {}), title: conversation.joined ? `Open #${room}` : `Join #${room}` },
        on: { click: () => (conversation.joined ? this.store.open(roomConversation(room)) : this.actions.join(room)) },
      },
      el("span", { attrs: { "aria-hidden": "true" }, text: "#" }),
      el("span", { className: "name", text: room }),
      conversation.joined ? null : el("span", { className: "hint", text: "join" }),
      badge(conversation.unread),
    );
    const leave = conversation.joined
      ? el("button", {
          className: "btn btn-small btn-quiet",
          data: { testid: `leave-${room}` },
          attrs: { type: "button", "aria-label": `Leave #${room}` },
          text: "Leave",
          on: { click: () => this.actions.leave(room) },
        })
      : null;
    return el("li", { className: itemClass(conversation, active), data: { joined: String(conversation.joined) } }, open, leave);
  }

  private directItem(conversation: Conversation): HTMLElement {
    const active = conversation.key === this.store.activeKey;
    const peer = conversation.peer!;
    const state = this.store.presenceOf(peer.id);
    return el(
      "li",
      { className: itemClass(conversation, active) },
      el(
        "button",
        {
          className: "conversation-link",
          data: { testid: `dm-${conversation.title}` },
          attrs: { type: "button", ...(active ? { "aria-current": "true" } : {}) },
          on: { click: () => this.store.open(conversation.key) },
        },
        avatar(peer, "small"),
        el("span", { className: "name", text: conversation.title }),
        state ? presenceIndicator(state) : null,
        badge(conversation.unread),
      ),
    );
  }
}

function badge(unread: number): HTMLElement | null {
  return unread > 0 ? el("span", { className: "badge", attrs: { "aria-label": `${unread} unread` }, text: String(unread) }) : null;
}

function itemClass(conversation: Conversation, active: boolean): string {
  return [active ? "active" : "", conversation.joined ? "joined" : ""].join(" ").trim();
}

function byTitle(a: Conversation, b: Conversation): number {
  return a.title.localeCompare(b.title);
}
