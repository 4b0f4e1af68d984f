import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // End-to-end files share one engine, registry and Git server; they run one file at a time
    // so that a slow container stop in one file never starves another's bounded waits.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    globalSetup: ["test/support/global-setup.ts"],
    setupFiles: ["test/support/fast-check-seed.ts"],
    clearMocks: true,
    restoreMocks: true,
  },
});
