/** Text containers produce: kept apart from gitdock's own words, shown only locally and redacted. */
export { UntrustedText, untrusted, WITHHELD, EXCERPT_MAX } from "./untrusted-text.js";
export { valueRedactor, redactCredentialShapes, NOTHING_TO_REDACT, REDACTED, MIN_REDACTED_LENGTH, type Redactor } from "./redact-values.js";
export { serviceRedactor, redactedExcerpt } from "./service-redactor.js";
export type { FailureOutput, FailureOutputListener } from "./failure-output.js";
