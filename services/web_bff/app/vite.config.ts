// The build is committed like generated code (../static), so it must be byte-for-byte the same
// for the same sources: content hashes in names, no timestamps, no source maps with paths.
import { defineConfig } from "vite";

export default defineConfig({
  // JSX through esbuild's automatic runtime: no Babel plugin, one dependency fewer.
  esbuild: { jsx: "automatic" },
  base: "/",
  build: {
    target: "es2022",
    sourcemap: false,
    assetsDir: "assets",
    reportCompressedSize: true,
  },
  server: {
    // `npm run dev` against a running edge (make run): same-origin calls go through Envoy.
    proxy: Object.fromEntries(
      ["/app/session", "/v1", "/v0"].map((path) => [path, "http://127.0.0.1:8080"]),
    ),
  },
});
