import { defineConfig } from "vitest/config";

// Unit tests only: no engine, registry or Git server, so no globalSetup.
// Run with `npm run test:unit` (= `vitest run --config vitest.unit.config.ts`).
export default defineConfig({
  test: {
    include: ["test/unit/**/*.test.ts"],
    setupFiles: ["test/support/fast-check-seed.ts"],
    clearMocks: true,
    restoreMocks: true,
  },
});
