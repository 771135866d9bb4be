/**
 * Runs a suite's setup once and hands every test its result, or its error. Each test awaits it
 * first, so a missing tool fails every test with the install command instead of leaving them
 * "skipped" (which is what a throwing beforeAll reports, and what a summary line reads as fine).
 */
export function setupOnce<T>(setup: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => (result ??= setup());
}
