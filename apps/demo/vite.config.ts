import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// The browser bundle is plain static files in dist/web; the demo server serves them.
export default defineConfig({
  root: fileURLToPath(new URL("./src/web", import.meta.url)),
  build: {
    outDir: fileURLToPath(new URL("./dist/web", import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
  },
  server: {
    // `vite` in dev mode proxies the roomcast endpoint to a demo server on :3000.
    proxy: { "/roomcast": { target: "ws://localhost:3000", ws: true } },
  },
});
