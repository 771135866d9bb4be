import type { Member } from "../../shared/chat-events.js";
import type { ChatStore } from "../chat-store.js";
import { avatar, presenceIndicator } from "./avatar.js";
import { el } from "./element.js";

/** Who is in the open room, on any node, online or away. Picking someone else opens a direct conversation. */
export class UserList {
  private readonly title: HTMLElement;
  private readonly list: HTMLElement;

  constructor(root: HTMLElement, private readonly store: ChatStore) {
    this.title = el("h2", { attrs: { id: "people-heading" } });
    this.list = el("ul", { className: "user-list", data: { testid: "user-list" }, attrs: { "aria-labelledby": "people-heading" } });
    root.replaceChildren(this.title, this.list, el("p", { className: "hint legend", text: "● online · ○ away: back soon, messages wait for them" }));
    store.subscribe((change) => {
      if (change.type === "active" || change.type === "self" || (change.type === "users" && change.key === store.activeKey)) this.render();
    });
    this.render();
  }

  /** How many people the open room lists (the phone's People button shows it). */
  get count(): number {
    const conversation = this.store.active;
    return conversation?.kind === "room" ? conversation.users.length : 0;
  }

  private render(): void {
    const conversation = this.store.active;
    if (!conversation || conversation.kind !== "room") {
      this.title.textContent = "People";
      this.list.replaceChildren(el("li", { className: "hint", text: "Open a room to see who is there." }));
      return;
    }
    const online = conversation.users.filter((u) => u.state === "online").length;
    this.title.textContent = `In #${conversation.title}: ${online} online${conversation.users.length > online ? `, ${conversation.users.length - online} away` : ""}`;
    this.list.replaceChildren(...conversation.users.map((user) => this.item(user)));
  }

  private item(user: Member): HTMLElement {
    const isSelf = user.id === this.store.self?.id;
    const content = [
      avatar(user, "small"),
      el("span", { className: "name", text: user.nickname }),
      isSelf ? el("span", { className: "hint", text: "(you)" }) : null,
      presenceIndicator(user.state),
    ];
    const data = { testid: "user", nickname: user.nickname, userId: user.id, presence: user.state };
    if (isSelf) return el("li", { data }, el("span", { className: "user" }, ...content));
    return el(
      "li",
      { data },
      el(
        "button",
        { className: "user user-link", attrs: { type: "button", title: `Write to ${user.nickname}` }, on: { click: () => this.store.openDirect(user) } },
        ...content,
      ),
    );
  }
}
