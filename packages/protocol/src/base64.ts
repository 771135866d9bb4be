/* Isomorphic base64 without Node built-ins: Node's global Buffer when present, btoa/atob otherwise. */
type BufferLike = {
  from(data: Uint8Array | string, encoding?: string): Uint8Array & { toString(encoding: string): string };
};
const NodeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer;

export function bytesToBase64(bytes: Uint8Array): string {
  if (NodeBuffer) return NodeBuffer.from(bytes).toString("base64");
  let binary = "";
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK) as unknown as number[]);
  }
  return btoa(binary);
}

export function base64ToBytes(text: string): Uint8Array {
  if (NodeBuffer) return NodeBuffer.from(text, "base64");
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
