import type { SelectionRule } from "./sops-metadata.js";

/**
 * Whether SOPS encrypts the value at `path` (SOPS's `shouldBeEncrypted`): by its keys' suffixes or
 * regular expressions, or by the comments above it and above the mappings that hold it
 * (`comments`: one list per level, the comments since the last value at that level). A comment
 * itself is judged too; with `encrypted_comment_regex`, the comment that matches stays readable.
 * Regular expressions are searched, not anchored, as Go's regexp.Match does.
 */
export function shouldBeEncrypted(rule: SelectionRule, path: readonly string[], comments: readonly (readonly string[])[], isComment: boolean): boolean {
  switch (rule.kind) {
    case "unencrypted_suffix":
      return !path.some((k) => k.endsWith(rule.value));
    case "encrypted_suffix":
      return path.some((k) => k.endsWith(rule.value));
    case "unencrypted_regex":
      return !path.some((k) => search(rule.value, k));
    case "encrypted_regex":
      return path.some((k) => search(rule.value, k));
    case "unencrypted_comment_regex":
      return !comments.some((level) => level.some((c) => search(rule.value, c)));
    case "encrypted_comment_regex":
      return encryptedByComment(rule.value, comments, isComment);
  }
}

function encryptedByComment(pattern: string, comments: readonly (readonly string[])[], isComment: boolean): boolean {
  const lastLevel = comments.length - 1;
  return comments.some((level, i) =>
    level.some((c, j) => {
      // The comment that asks for encryption is itself left in the clear.
      if (isComment && i === lastLevel && j === level.length - 1) return false;
      return search(pattern, c);
    }),
  );
}

const compiled = new Map<string, RegExp>();

function search(pattern: string, text: string): boolean {
  let re = compiled.get(pattern);
  if (!re) compiled.set(pattern, (re = new RegExp(pattern)));
  return re.test(text);
}
