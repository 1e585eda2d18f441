// ESLint (flat config) with typescript-eslint: the recommended rules of both, for the TypeScript
// sources and the CommonJS scripts (bin/, scripts/, toolchain/), and two type-checked rules for
// the TypeScript sources. Formatting is prettier's
// (.prettierrc.json), not ESLint's. `npm run lint`; scripts/test runs it with MAILBOX_ADDRESSES_LINT=1.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: ["dist/", "node_modules/", ".tools/", ".pulumi-state/", "**/*.generated.ts", "test/fixtures/state-v0.1/"],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: "module", globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      // `_`-prefixed parameters and caught errors are deliberately unused.
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
      ],
      // Addresses, identities and messages are checked for control characters on purpose
      // (core/address.ts, core/text.ts: hostile input must not reach an admin's terminal).
      "no-control-regex": "off",
    },
  },
  {
    // Rules that need the types (typescript-eslint's type-checked rules): a promise nobody awaits
    // loses its rejection, and one passed where a callback's result is ignored runs unchecked.
    // node:test's describe/it return promises the runner itself awaits.
    files: ["**/*.ts"],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": [
        "error",
        {
          allowForKnownSafeCalls: [
            {
              from: "package",
              package: "node:test",
              name: ["describe", "it", "test", "suite", "before", "after", "beforeEach", "afterEach"],
            },
          ],
        },
      ],
      "@typescript-eslint/no-misused-promises": "error",
    },
  },
  {
    // Pulumi serializes these functions into the state (Function.prototype.toString): a comment
    // inside them would cost bytes per resource, so the rules they must break are off here.
    files: ["providers/mailbox-addresses/resource.ts", "test/fixtures/targeted-engine/*.ts"],
    rules: { "@typescript-eslint/no-require-imports": "off", "no-empty": "off" },
  },
  {
    // Tests read the services' JSON bodies as they come.
    files: ["test/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
  {
    files: ["**/*.js", "**/*.cjs"],
    languageOptions: { sourceType: "commonjs" },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
