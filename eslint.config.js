// The one linter, configured once. Formatting is dprint's job (dprint.json); this checks code.
import js from "@eslint/js"
import tseslint from "typescript-eslint"

export default tseslint.config(
  // Stryker writes its sandboxes (copies of the repo, instrumented) and reports there while it runs.
  { ignores: ["**/dist/**", "**/node_modules/**", ".ci/out/**", ".stryker-tmp/**", "reports/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", Buffer: "readonly", console: "readonly" } },
    rules: {
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-empty-object-type": "off",
      "require-yield": "off"
    }
  },
  {
    // Library code: no `any` in what users see, no console (logs go through Effect), time from
    // Effect's Clock (test helpers that sign "now" say so where they do).
    files: ["packages/*/src/**/*.ts"],
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "no-console": "error",
      "no-restricted-properties": ["error", {
        object: "Date",
        property: "now",
        message: "Use Effect's Clock in library code (tests move it with TestClock)."
      }]
    }
  },
  {
    files: ["packages/*/test/**/*.ts", "examples/**/*.ts", "bench/**/*.ts", "reliability/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" }
  }
)
