/** Below this width the rooms and people columns become drawers (keep in step with styles.css). */
const PHONE_QUERY = "(max-width: 800px)";

/**
 * On a phone the rooms and people lists are drawers that slide over the conversation, opened by
 * the buttons in the top bar. One is open at a time; Escape, the scrim, or picking a conversation
 * closes it and gives focus back to its button. On wider screens both are plain columns.
 */
export class Drawers {
  private readonly media = window.matchMedia(PHONE_QUERY);
  private open: { panel: HTMLElement; toggle: HTMLButtonElement } | null = null;

  constructor(
    private readonly pairs: Array<{ panel: HTMLElement; toggle: HTMLButtonElement }>,
    private readonly scrim: HTMLElement,
  ) {
    for (const pair of pairs) {
      // focusable by script only: an opened drawer takes focus itself, so a list inside it that
      // re-renders (a new room, someone coming online) cannot take the focus away with its old rows
      pair.panel.tabIndex = -1;
      pair.toggle.addEventListener("click", () => (this.open?.panel === pair.panel ? this.close() : this.show(pair)));
    }
    scrim.addEventListener("click", () => this.close());
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.open) this.close();
    });
    this.media.addEventListener("change", () => this.sync());
    this.sync();
  }

  /** Closes whichever drawer is open (after a conversation was picked in it). */
  close(returnFocus = true): void {
    const open = this.open;
    if (!open) return;
    this.open = null;
    this.sync();
    if (returnFocus) open.toggle.focus();
  }

  private show(pair: { panel: HTMLElement; toggle: HTMLButtonElement }): void {
    this.open = pair;
    this.sync();
    pair.panel.focus();
  }

  /** Drawers closed on a phone are inert: not focusable, hidden from screen readers. */
  private sync(): void {
    const phone = this.media.matches;
    if (!phone) this.open = null;
    for (const { panel, toggle } of this.pairs) {
      const isOpen = this.open?.panel === panel;
      panel.dataset.open = String(isOpen);
      panel.inert = phone && !isOpen;
      toggle.setAttribute("aria-expanded", String(isOpen));
    }
    this.scrim.hidden = !(phone && this.open);
    document.body.dataset.drawer = this.open?.panel.id ?? "";
  }
}
