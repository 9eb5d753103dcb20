// Builds bench/ (the grid with 100,000 generated rows) into bench-dist/ for measurements.
import { defineConfig } from "vite";

export default defineConfig({
  root: "bench",
  base: "./",
  esbuild: { jsx: "automatic" },
  build: { outDir: "../bench-dist", emptyOutDir: true, target: "es2022" },
});
