// ESLint: typescript-eslint's recommended type-aware rules over src, test and the tool configs
// (`npm run lint`). Formatting is Prettier's job (`npm run format:check`): no stylistic rules here.
// Every rule turned off or tuned below fights a pattern this codebase uses on purpose; the comment
// says which.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  // The .mjs scripts (bench, the demo) and this file are JavaScript outside the TypeScript program.
  { ignores: ["dist/", "node_modules/", "coverage/", "test/fixtures/", "**/*.mjs", "eslint.config.js"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      // tsconfig.test.json covers src, test and the configs: one program for the whole tree.
      parserOptions: { project: ["./tsconfig.test.json"], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // `const { name: _name, ...rest } = x` leaves a key out of a copy; `_` marks it as unused on purpose.
      "@typescript-eslint/no-unused-vars": ["error", { varsIgnorePattern: "^_", argsIgnorePattern: "^_", ignoreRestSiblings: true }],
      // An `async` function without `await` is how code here meets a Promise-returning interface
      // (hooks, listeners, the fakes in tests) without wrapping each value in Promise.resolve.
      "@typescript-eslint/require-await": "off",
      // Manifests, Engine request bodies and JSON read from disk are judged as `unknown` values, and
      // `String(value ?? "")` is the deliberate way to compare whatever is there with an allow-list:
      // an object prints as "[object Object]", which no list holds, so it is refused.
      "@typescript-eslint/no-base-to-string": "off",
      // What a catch caught is rethrown as it came (`throw firstError`), typed `unknown`.
      "@typescript-eslint/only-throw-error": ["error", { allowRethrowing: true, allowThrowingUnknown: true }],
      "@typescript-eslint/prefer-promise-reject-errors": ["error", { allowThrowingUnknown: true }],
    },
  },
  {
    files: ["test/**/*.ts"],
    rules: {
      // vitest's asymmetric matchers (`expect.any(String)`, `expect.stringMatching(...)`) are typed
      // `any`, and tests read the CLI's JSON output and `docker inspect` loosely on purpose: a wrong
      // shape fails the assertion that follows.
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-explicit-any": "off",
    },
  },
);
