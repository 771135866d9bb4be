import type { ChatCredentials } from "../../shared/chat-events.js";
import { NICKNAME_MAX_LENGTH, colorProblem, nicknameProblem } from "../../shared/chat-rules.js";
import { el, required } from "./element.js";

const SWATCHES = ["#e5484d", "#f76b15", "#ffc53d", "#30a46c", "#12a594", "#0090ff", "#6e56cf", "#d6409f"];

/**
 * The nickname and colour dialog: shown at start, and again whenever the server refuses the
 * credentials (for example after a reconnect). `ask` resolves once the user submits valid input.
 */
export class ProfileDialog {
  private readonly dialog: HTMLDialogElement;
  private readonly form: HTMLFormElement;
  private readonly nickname: HTMLInputElement;
  private readonly color: HTMLInputElement;
  private readonly error: HTMLElement;

  constructor(root: HTMLDialogElement) {
    this.dialog = root;
    this.nickname = el("input", {
      attrs: { name: "nickname", maxlength: String(NICKNAME_MAX_LENGTH), autocomplete: "nickname", required: "" },
      data: { testid: "nickname-input" },
    });
    this.color = el("input", { attrs: { type: "color", name: "color" }, data: { testid: "color-input" } });
    this.error = el("p", { className: "form-error", data: { testid: "profile-error" }, attrs: { role: "alert" } });
    const swatches = el(
      "div",
      { className: "swatches" },
      ...SWATCHES.map((color) =>
        el("button", {
          className: "swatch",
          attrs: { type: "button", style: `background:${color}`, "aria-label": `colour ${color}` },
          on: { click: () => (this.color.value = color) },
        }),
      ),
    );
    this.form = el(
      "form",
      { attrs: { method: "dialog" } },
      el("h2", { text: "Who are you?" }),
      el("label", {}, "Nickname", this.nickname),
      el("label", {}, "Colour", swatches, this.color),
      this.error,
      el("button", { attrs: { type: "submit" }, data: { testid: "profile-submit" }, text: "Start chatting" }),
    );
    this.dialog.replaceChildren(this.form);
    // The dialog is the only way in: Escape must not leave the page without a nickname.
    this.dialog.addEventListener("cancel", (event) => event.preventDefault());
  }

  ask(initial: ChatCredentials | null, error?: string): Promise<ChatCredentials> {
    this.nickname.value = initial?.nickname ?? "";
    this.color.value = initial?.color ?? SWATCHES[Math.floor(Math.random() * SWATCHES.length)];
    this.error.textContent = error ?? "";
    if (!this.dialog.open) this.dialog.showModal();
    this.nickname.focus();
    return new Promise((resolve) => {
      const onSubmit = (event: SubmitEvent) => {
        const credentials = { nickname: this.nickname.value.trim(), color: this.color.value.toLowerCase() };
        const problem = nicknameProblem(credentials.nickname) ?? colorProblem(credentials.color);
        if (problem) {
          event.preventDefault();
          this.error.textContent = problem;
          return;
        }
        this.form.removeEventListener("submit", onSubmit);
        resolve(credentials);
      };
      this.form.addEventListener("submit", onSubmit);
    });
  }
}

/** Finds the dialog element in the page. */
export function profileDialogIn(document: Document): ProfileDialog {
  return new ProfileDialog(required<HTMLDialogElement>("#profile-dialog", document));
}
