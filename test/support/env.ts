/**
 * The environment the vitest globalSetup (test/support/global-setup.ts) hands to every test file.
 * In a test: `const env = testEnv();` (or `inject("testEnv")`).
 */
import { inject } from "vitest";
import type { TestImages } from "./images.js";

export interface TestEnv {
  /** Base URL of the shared Git server, e.g. `http://127.0.0.1:41234`; a repo `x` is at `${gitUrl}/x.git`. */
  gitUrl: string;
  /** GIT_PROJECT_ROOT of the shared Git server (pass `{ url: gitUrl, root: gitRoot }` to createManifestRepo). */
  gitRoot: string;
  /** name → digest-pinned reference `127.0.0.1:5000/gitdock-test/<name>@sha256:<64 hex>`. */
  images: TestImages;
}

declare module "vitest" {
  export interface ProvidedContext {
    testEnv: TestEnv;
  }
}

export function testEnv(): TestEnv {
  const env = inject("testEnv");
  if (!env) throw new Error("testEnv was not provided: is test/support/global-setup.ts the globalSetup?");
  return env;
}
