/**
 * Compose's variable syntax in one string (the Compose Specification, "Interpolation"):
 *
 *   $VAR, ${VAR}          the value; unset is a failure (Compose warns and uses "": gitdock refuses)
 *   ${VAR:-default}       default when VAR is unset or empty      ${VAR-default}  only when unset
 *   ${VAR:?message}       failure when VAR is unset or empty      ${VAR?message}  only when unset
 *   ${VAR:+alternative}   alternative when VAR is set and not empty, else ""   ${VAR+alt}  when set
 *   $$                    a literal $
 *
 * Operands may hold further references (`${A:-${B:-x}}`); they are evaluated only when used, as a
 * shell does. A `:?` message is reported as written, never interpolated. A `$` that starts none of these (`5$`, `$1`, `$ `) is kept as it is, as Compose does.
 * A `${` that does not close, or holds anything but a name and one operator (`${VAR/a/b}`), is a
 * syntax failure. Names are `[A-Za-z_][A-Za-z0-9_]*`, looked up case-sensitively.
 */

/** A variable's value, or undefined when it is not set at all. */
export type VariableLookup = (name: string) => string | undefined;

export type TemplateFailure =
  /** `$VAR` or `${VAR}` (or `${VAR-}`-less forms) with VAR unset. */
  | { kind: "unset"; name: string }
  /** `${VAR:?message}` / `${VAR?message}`: `empty` is true when VAR is set but empty. */
  | { kind: "required"; name: string; message: string; empty: boolean }
  | { kind: "syntax"; detail: string };

export interface TemplateResult {
  /** The text with every reference replaced; undefined when any reference failed. */
  text: string | undefined;
  /** True when the text held a reference or a `$$` (so `text` may differ from the input). */
  changed: boolean;
  /** Variables whose value went into `text` (not those only tested, as `:+` and `:-` test). */
  used: string[];
  /** Every variable the evaluation looked up, used or only tested. */
  referenced: string[];
  failures: TemplateFailure[];
}

const NAME_START = /[A-Za-z_]/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;
const OPERATOR = /^(?::-|-|:\?|\?|:\+|\+)/;

/** Nested operands deeper than this are refused rather than recursed into. */
export const MAX_NESTING = 32;

interface Evaluation {
  lookup: VariableLookup;
  used: Set<string>;
  referenced: Set<string>;
  failures: TemplateFailure[];
  changed: boolean;
}

export function interpolateTemplate(text: string, lookup: VariableLookup): TemplateResult {
  if (!text.includes("$")) return { text, changed: false, used: [], referenced: [], failures: [] };
  const ev: Evaluation = { lookup, used: new Set(), referenced: new Set(), failures: [], changed: false };
  const out = evaluate(text, ev, 0);
  return {
    text: ev.failures.length > 0 ? undefined : out,
    changed: ev.changed,
    used: [...ev.used],
    referenced: [...ev.referenced],
    failures: ev.failures,
  };
}

function evaluate(text: string, ev: Evaluation, depth: number): string {
  if (depth > MAX_NESTING) {
    ev.failures.push({ kind: "syntax", detail: `references nested more than ${MAX_NESTING} deep` });
    return "";
  }
  let out = "";
  let i = 0;
  while (i < text.length) {
    const at = text.indexOf("$", i);
    if (at < 0) return out + text.slice(i);
    out += text.slice(i, at);
    const next = text[at + 1];
    if (next === "$") {
      ev.changed = true;
      out += "$";
      i = at + 2;
    } else if (next !== undefined && NAME_START.test(next)) {
      const name = (NAME.exec(text.slice(at + 1)) ?? [""])[0];
      ev.changed = true;
      out += plain(name, ev);
      i = at + 1 + name.length;
    } else if (next === "{") {
      ev.changed = true;
      const close = closingBrace(text, at);
      if (close < 0) {
        ev.failures.push({ kind: "syntax", detail: `"\${" at character ${at + 1} is never closed with "}"` });
        return out;
      }
      out += braced(text.slice(at + 2, close), ev, depth);
      i = close + 1;
    } else {
      out += "$";
      i = at + 1;
    }
  }
  return out;
}

/** Compose's rule: count `${` openings and `}` closings from the `$`; the one that balances ends it. */
function closingBrace(text: string, start: number): number {
  let open = 0;
  for (let i = start; i < text.length; i++) {
    if (text[i] === "}") {
      open--;
      if (open === 0) return i;
    } else if (text[i] === "$" && text[i + 1] === "{") {
      open++;
      i++;
    }
  }
  return -1;
}

function plain(name: string, ev: Evaluation): string {
  const value = look(name, ev);
  if (value === undefined) {
    ev.failures.push({ kind: "unset", name });
    return "";
  }
  ev.used.add(name);
  return value;
}

function braced(content: string, ev: Evaluation, depth: number): string {
  const name = NAME.exec(content)?.[0];
  if (name === undefined) {
    ev.failures.push({ kind: "syntax", detail: `"\${${content}}" does not start with a variable name` });
    return "";
  }
  const rest = content.slice(name.length);
  if (rest === "") return plain(name, ev);
  const operator = OPERATOR.exec(rest)?.[0];
  if (operator === undefined) {
    ev.failures.push({ kind: "syntax", detail: `"\${${content}}" uses an operator Compose does not have (only :- - :? ? :+ +)` });
    return "";
  }
  return applyOperator(name, operator, rest.slice(operator.length), ev, depth);
}

function applyOperator(name: string, operator: string, operand: string, ev: Evaluation, depth: number): string {
  const value = look(name, ev);
  const colon = operator.startsWith(":");
  const absent = value === undefined || (colon && value === "");
  switch (operator) {
    case ":-":
    case "-":
      return absent ? evaluate(operand, ev, depth + 1) : use(name, value, ev);
    case ":?":
    case "?":
      if (absent) {
        // The message is shown as written: interpolating it could echo a host's (secret) value.
        ev.failures.push({ kind: "required", name, message: operand, empty: value === "" });
        return "";
      }
      return use(name, value, ev);
    default:
      // `:+` and `+`: the alternative replaces the value; VAR is only tested.
      return absent ? "" : evaluate(operand, ev, depth + 1);
  }
}

function use(name: string, value: string | undefined, ev: Evaluation): string {
  ev.used.add(name);
  return value ?? "";
}

function look(name: string, ev: Evaluation): string | undefined {
  ev.referenced.add(name);
  return ev.lookup(name);
}
