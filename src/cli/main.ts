#!/usr/bin/env node
/**
 * The `gitdock` executable. `gitdock run` is a long-lived, mostly idle process: V8 is tuned for a
 * small footprint (agent/runtime-footprint.ts) before anything else is loaded, because loading the
 * libraries is itself hot enough to be optimized. Then the commands load (program.ts). The command
 * is the first argument; gitdock has no options before it.
 */
import { tuneRuntimeForIdleAgent } from "../agent/runtime-footprint.js";

if (process.argv[2] === "run") tuneRuntimeForIdleAgent();
await import("./program.js");
