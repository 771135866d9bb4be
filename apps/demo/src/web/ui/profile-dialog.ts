import type { ChatCredentials } from "../../shared/chat-events.js";
import { NICKNAME_MAX_LENGTH, colorProblem, nicknameProblem } from "../../shared/chat-rules.js";
import { el, required } from "./element.js";

const SWATCHES: Array<[string, string]> = [
  ["#e5484d", "red"],
  ["#f76b15", "orange"],
  ["#ffc53d", "yellow"],
  ["#30a46c", "green"],
  ["#12a594", "teal"],
  ["#0090ff", "blue"],
  ["#6e56cf", "violet"],
  ["#d6409f", "pink"],
];

/**
 * The nickname and colour dialog: shown at start and whenever the server refuses the credentials
 * (`ask`, which cannot be dismissed: there is no chat without a name), and from the profile
 * button (`edit`, which can).
 */
export class ProfileDialog {
  private readonly form: HTMLFormElement;
  private readonly heading: HTMLElement;
  private readonly nickname: HTMLInputElement;
  private readonly color: HTMLInputElement;
  private readonly error: HTMLElement;
  private readonly submit: HTMLButtonElement;
  private readonly cancel: HTMLButtonElement;
  private readonly swatches: HTMLButtonElement[];
  private onSubmit: ((credentials: ChatCredentials) => void) | null = null;
  private cancellable = false;

  constructor(private readonly dialog: HTMLDialogElement) {
    this.nickname = el("input", {
      attrs: { id: "nickname-input", name: "nickname", maxlength: String(NICKNAME_MAX_LENGTH), autocomplete: "nickname", required: "", "aria-describedby": "profile-error" },
      data: { testid: "nickname-input" },
    });
    this.color = el("input", { attrs: { id: "color-input", type: "color", name: "color" }, data: { testid: "color-input" } });
    this.color.addEventListener("input", () => this.markSwatch());
    this.error = el("p", { className: "form-error", data: { testid: "profile-error" }, attrs: { role: "alert", id: "profile-error" } });
    this.swatches = SWATCHES.map(([color, name]) =>
      el("button", {
        className: "swatch",
        attrs: { type: "button", style: `background:${color}`, "aria-label": name, "aria-pressed": "false" },
        data: { color },
        on: {
          click: () => {
            this.color.value = color;
            this.markSwatch();
          },
        },
      }),
    );
    this.heading = el("h2", { attrs: { id: "profile-title" } });
    this.submit = el("button", { className: "btn btn-primary", attrs: { type: "submit" }, data: { testid: "profile-submit" } });
    this.cancel = el("button", { className: "btn", attrs: { type: "button" }, data: { testid: "profile-cancel" }, text: "Cancel", on: { click: () => this.close() } });
    this.form = el(
      "form",
      {},
      this.heading,
      el("label", { attrs: { for: "nickname-input" } }, "Nickname"),
      this.nickname,
      el(
        "fieldset",
        { className: "colour-field" },
        el("legend", { text: "Colour" }),
        el("div", { className: "swatches" }, ...this.swatches),
        el("label", { className: "custom-colour", attrs: { for: "color-input" } }, "Or any colour", this.color),
      ),
      this.error,
      el("div", { className: "dialog-actions" }, this.cancel, this.submit),
    );
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      const credentials = { nickname: this.nickname.value.trim(), color: this.color.value.toLowerCase() };
      const problem = nicknameProblem(credentials.nickname) ?? colorProblem(credentials.color);
      if (problem) {
        this.error.textContent = `Nickname: ${problem}.`;
        this.nickname.focus();
        return;
      }
      this.onSubmit?.(credentials);
    });
    dialog.setAttribute("aria-labelledby", "profile-title");
    dialog.replaceChildren(this.form);
    // Escape closes the profile editor, never the first dialog: there is no chat without a name.
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      if (this.cancellable) this.close();
    });
  }

  /** Asks for credentials until valid ones are given; cannot be dismissed. */
  ask(initial: ChatCredentials | null, error?: string): Promise<ChatCredentials> {
    this.open(initial, error, { title: "Who are you?", action: "Start chatting", cancellable: false });
    return new Promise((resolve) => {
      this.onSubmit = (credentials) => {
        this.close();
        resolve(credentials);
      };
    });
  }

  /** Lets the user change their name or colour; `save` answers null when done or why not. */
  edit(current: ChatCredentials, save: (credentials: ChatCredentials) => Promise<string | null>): void {
    this.open(current, undefined, { title: "Your profile", action: "Save", cancellable: true });
    this.onSubmit = (credentials) => {
      this.submit.disabled = true;
      void save(credentials).then((problem) => {
        this.submit.disabled = false;
        if (problem) {
          this.error.textContent = problem;
          this.nickname.focus();
        } else this.close();
      });
    };
  }

  private open(initial: ChatCredentials | null, error: string | undefined, mode: { title: string; action: string; cancellable: boolean }): void {
    this.heading.textContent = mode.title;
    this.submit.textContent = mode.action;
    this.submit.disabled = false;
    this.cancellable = mode.cancellable;
    this.cancel.hidden = !mode.cancellable;
    this.nickname.value = initial?.nickname ?? "";
    this.color.value = initial?.color ?? SWATCHES[Math.floor(Math.random() * SWATCHES.length)][0];
    this.markSwatch();
    this.error.textContent = error ?? "";
    if (!this.dialog.open) this.dialog.showModal();
    this.nickname.focus();
    this.nickname.select();
  }

  private close(): void {
    this.onSubmit = null;
    if (this.dialog.open) this.dialog.close();
  }

  private markSwatch(): void {
    for (const swatch of this.swatches) swatch.setAttribute("aria-pressed", String(swatch.dataset.color === this.color.value.toLowerCase()));
  }
}

/** Finds the dialog element in the page. */
export function profileDialogIn(document: Document): ProfileDialog {
  return new ProfileDialog(required<HTMLDialogElement>("#profile-dialog", document));
}
