/**
 * The body template of a generic webhook target (`report.notifications[].webhook.template`): JSON
 * with `{{name}}` placeholders inside its strings. Each value is JSON-escaped as it is put in, so a
 * reason with a quote or a newline cannot end the string or add a key. The config checks a template
 * here, before the agent starts; src/notify renders it for each event.
 */

/** Every placeholder a template may use; a value an event does not have is the empty string. */
export const TEMPLATE_PLACEHOLDERS = [
  "outcome",
  "host",
  "commit",
  "short_commit",
  "reason",
  "at",
  "duration_ms",
  "image_signers",
  "wave",
  "hosts",
  "title",
  "agent",
  "repo",
  "branch",
  "path",
] as const;

export type TemplatePlaceholder = (typeof TEMPLATE_PLACEHOLDERS)[number];
export type TemplateValues = Record<TemplatePlaceholder, string>;

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** The template with each placeholder replaced by its value, escaped as the inside of a JSON string. */
export function renderTemplate(template: string, values: TemplateValues): string {
  return template.replace(PLACEHOLDER, (_whole, name: string) => jsonStringContent(values[name as TemplatePlaceholder] ?? ""));
}

/** What is wrong with a template (an unknown placeholder, or JSON that a value would break), or undefined. */
export function templateProblem(template: string): string | undefined {
  const unknown = [...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? "").filter((n) => !(TEMPLATE_PLACEHOLDERS as readonly string[]).includes(n));
  if (unknown.length > 0) return `unknown placeholder {{${unknown[0]}}}; known: ${TEMPLATE_PLACEHOLDERS.map((p) => `{{${p}}}`).join(", ")}`;
  // A value with every character that needs escaping: a placeholder outside a JSON string fails here.
  const awkward = Object.fromEntries(TEMPLATE_PLACEHOLDERS.map((p) => [p, 'a "b" \\ c\n<d>'])) as TemplateValues;
  try {
    JSON.parse(renderTemplate(template, awkward));
    return undefined;
  } catch (err) {
    return `is not JSON once its placeholders are filled in (placeholders go inside JSON strings: "{{host}}"): ${(err as Error).message}`;
  }
}

function jsonStringContent(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}
