type Child = Node | string | null | undefined | false;

interface ElementProps {
  className?: string;
  /** Becomes `data-*` attributes; tests find elements through `data-testid`. */
  data?: Record<string, string>;
  attrs?: Record<string, string>;
  text?: string;
  on?: Partial<Record<keyof HTMLElementEventMap, (event: Event) => void>>;
}

/**
 * Creates an element in one expression. Text always goes through text nodes, never innerHTML,
 * so whatever a peer sends is displayed, not interpreted.
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: ElementProps = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.className) node.className = props.className;
  for (const [key, value] of Object.entries(props.data ?? {})) node.dataset[key] = value;
  for (const [key, value] of Object.entries(props.attrs ?? {})) node.setAttribute(key, value);
  if (props.text !== undefined) node.textContent = props.text;
  for (const [event, handler] of Object.entries(props.on ?? {})) node.addEventListener(event, handler as EventListener);
  for (const child of children) if (child) node.append(child);
  return node;
}

/** Looks up an element the page cannot work without. */
export function required<T extends HTMLElement>(selector: string, root: ParentNode = document): T {
  const node = root.querySelector<T>(selector);
  if (!node) throw new Error(`missing element ${selector}`);
  return node;
}

export function formatTime(at: number): string {
  return new Date(at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}
