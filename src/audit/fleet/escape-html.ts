/**
 * Text as HTML text or an attribute value: commit messages, reasons, host ids and names come from
 * commits and notes anyone with push rights wrote, so every one goes through here.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ENTITIES[ch]!);
}

const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
