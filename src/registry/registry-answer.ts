import type { HttpResponse } from "./registry-http.js";

/**
 * A registry's answer in one short line, for errors: `HTTP 404 MANIFEST_UNKNOWN: manifest unknown`.
 * The error body (distribution's `{"errors":[{"code","message"}]}`) is the registry's text: it is
 * cut short and stripped of control characters; its `detail` is left out.
 */
export function describeAnswer(res: HttpResponse): { text: string; code: string | undefined } {
  const first = firstRegistryError(res.body);
  const code = first?.code;
  const message = first?.message ? printable(first.message) : undefined;
  const parts = [`HTTP ${res.status}`, code, message && `${code ? ": " : ""}${message}`].filter(Boolean);
  return { text: parts.join(" ").replace(" : ", ": "), code };
}

function firstRegistryError(body: Buffer): { code?: string; message?: string } | undefined {
  try {
    const parsed = JSON.parse(body.toString("utf8")) as { errors?: { code?: unknown; message?: unknown }[] };
    const first = parsed.errors?.[0];
    if (!first) return undefined;
    return {
      ...(typeof first.code === "string" && /^[A-Z0-9_]{1,64}$/.test(first.code) ? { code: first.code } : {}),
      ...(typeof first.message === "string" ? { message: first.message } : {}),
    };
  } catch {
    return undefined;
  }
}

function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  return clean.length > 200 ? `${clean.slice(0, 200)}…` : clean;
}
