// Two pages, one bundle directory: dist/analytics/index.html, dist/graphiql/index.html
// and their hashed files in dist/assets/, which the server embeds (src/http/assets.rs)
// and serves at /analytics, /graphql (GraphiQL) and /assets/.
import { resolve } from "node:path";
import { defineConfig } from "vite";

export default defineConfig({
  root: __dirname,
  base: "/",
  // Nothing is copied verbatim: every file the pages use is imported, so it is hashed.
  publicDir: false,
  esbuild: {
    jsx: "automatic",
    jsxImportSource: "preact",
    // No license comments in the middle of the code; they are collected below.
    legalComments: "none",
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsDir: "assets",
    target: "es2020",
    // Source maps would double what the binary carries; the code is ours or pinned.
    sourcemap: false,
    // Fonts and icons below 4 KiB become data: URLs (allowed by `img-src`/`font-src`).
    assetsInlineLimit: 4096,
    chunkSizeWarningLimit: 2048,
    // Vite would add a small inline polyfill for <link rel="modulepreload">; every
    // browser we support has it, and the CSP allows no inline script.
    modulePreload: { polyfill: false },
    rollupOptions: {
      // Radix's "use client" markers mean nothing outside React Server Components.
      onwarn(warning, warn) {
        if (warning.code === "MODULE_LEVEL_DIRECTIVE") return;
        warn(warning);
      },
      input: {
        analytics: resolve(__dirname, "analytics/index.html"),
        graphiql: resolve(__dirname, "graphiql/index.html"),
      },
    },
  },
});
