import { execFileSync } from "node:child_process";
import { chmodSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** A fresh age identity made by the real `age-keygen`, in a file only root can read. */
export function ageKeygen(dir: string): { file: string; recipient: string; identity: string } {
  const file = join(dir, `key-${Math.random().toString(36).slice(2)}.txt`);
  execFileSync("age-keygen", ["-o", file], { stdio: ["ignore", "ignore", "ignore"] });
  chmodSync(file, 0o400);
  const text = readFileSync(file, "utf8");
  const recipient = /# public key: (age1\S+)/.exec(text)?.[1] ?? "";
  const identity = text.split("\n").find((l) => l.startsWith("AGE-SECRET-KEY-")) ?? "";
  return { file, recipient, identity };
}

/** Encrypts `content` with the real `age` for `recipient` (armored with `-a`). */
export function ageEncrypt(content: string | Uint8Array, recipient: string, armored = false): Buffer {
  return execFileSync("age", [...(armored ? ["-a"] : []), "-r", recipient], { input: content });
}

/** Decrypts with the real `age`. */
export function ageDecrypt(ciphertext: string | Uint8Array, identityFile: string): Buffer {
  return execFileSync("age", ["-d", "-i", identityFile], { input: ciphertext });
}
