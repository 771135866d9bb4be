/** Room a connection asked for in its URL query (`?room=`), "bench" by default. */
export function roomFromUrl(url) {
  const q = url.indexOf("?");
  if (q === -1) return "bench";
  return new URLSearchParams(url.slice(q + 1)).get("room") ?? "bench";
}
