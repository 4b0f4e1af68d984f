/**
 * Whether the Engine still holds what gitdock sent: every field of the sent body must be there with
 * the same value. Fields the Engine adds (its defaults) are not a difference, and a field sent empty
 * (0, "", false, [], {}) matches one the Engine leaves out, as the Engine leaves out empty values.
 * Returns the first path that differs (`TaskTemplate.ContainerSpec.Image`), or undefined.
 */
export function sentDifference(sent: unknown, seen: unknown, path = ""): string | undefined {
  if (isEmpty(sent) && isEmpty(seen)) return undefined;
  if (Array.isArray(sent)) {
    if (!Array.isArray(seen) || seen.length !== sent.length) return path || "(root)";
    for (let i = 0; i < sent.length; i++) {
      const at = sentDifference(sent[i], seen[i], `${path}[${i}]`);
      if (at) return at;
    }
    return undefined;
  }
  if (sent !== null && typeof sent === "object") {
    const other = seen !== null && typeof seen === "object" && !Array.isArray(seen) ? (seen as Record<string, unknown>) : {};
    for (const [key, value] of Object.entries(sent)) {
      const at = sentDifference(value, other[key], path ? `${path}.${key}` : key);
      if (at) return at;
    }
    return undefined;
  }
  return sent === seen ? undefined : path || "(root)";
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === 0 || v === "" || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === "object") return Object.values(v).every(isEmpty);
  return false;
}
