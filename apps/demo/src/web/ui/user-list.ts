import type { ChatUser } from "../../shared/chat-events.js";
import type { ChatStore } from "../chat-store.js";
import { el } from "./element.js";

/** Who is in the open room, on any node. Clicking someone else opens a direct conversation. */
export class UserList {
  private readonly title: HTMLElement;
  private readonly list: HTMLElement;

  constructor(root: HTMLElement, private readonly store: ChatStore) {
    this.title = el("h2");
    this.list = el("ul", { className: "user-list", data: { testid: "user-list" } });
    root.replaceChildren(this.title, this.list);
    store.subscribe((change) => {
      if (change.type === "active" || change.type === "self" || (change.type === "users" && change.key === store.activeKey)) this.render();
    });
    this.render();
  }

  private render(): void {
    const conversation = this.store.active;
    if (!conversation || conversation.kind !== "room") {
      this.title.textContent = "Online";
      this.list.replaceChildren(el("li", { className: "hint", text: "Open a room to see who is here." }));
      return;
    }
    this.title.textContent = `Online in #${conversation.title} (${conversation.users.length})`;
    this.list.replaceChildren(...conversation.users.map((user) => this.item(user)));
  }

  private item(user: ChatUser): HTMLElement {
    const isSelf = user.id === this.store.self?.id;
    const label = el(
      "span",
      { className: "user" },
      el("span", { className: "swatch-dot", attrs: { style: `background:${user.color}` } }),
      user.nickname,
      isSelf ? el("span", { className: "hint", text: " (you)" }) : null,
    );
    const data = { testid: "user", nickname: user.nickname, userId: user.id };
    if (isSelf) return el("li", { data }, label);
    return el(
      "li",
      { data },
      el("button", { className: "user-link", attrs: { title: `Message ${user.nickname}` }, on: { click: () => this.store.openDirect(user) } }, label),
    );
  }
}
