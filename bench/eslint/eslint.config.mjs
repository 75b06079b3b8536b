// Flat config used by bench/run.py: ESLint with one scope-analysis rule
// (no-undef) over every JS/TS source of the benchmark corpus.
//
// .js/.jsx follow Node's own rule: ESM when the nearest package.json says
// "type": "module", else CommonJS unless only ESM syntax parses
// (node-detect-parser.mjs). bench/run.py writes those
// package.json verdicts to a JSON file named by LEAKLINT_BENCH_PKG_TYPES
// (a list of {dir, type}, shallow to deep, dirs relative to the cwd); later
// entries win in a flat config, so a nested package overrides its parent.
import fs from "node:fs";
import tsParser from "@typescript-eslint/parser";
import globals from "globals";
import * as nodeDetectParser from "./node-detect-parser.mjs";

const typesFile = process.env.LEAKLINT_BENCH_PKG_TYPES;
const pkgTypes = typesFile ? JSON.parse(fs.readFileSync(typesFile, "utf8")) : [];

const rules = { "no-undef": "error" };

export default [
	{
		// Declaration files hold no code; the benchmark's file set skips them too.
		ignores: ["**/*.d.ts", "**/*.d.mts", "**/*.d.cts"],
	},
	{
		// Inline comments could switch rules on or off per file (or name rules
		// of plugins that are not installed): ignore them for a like-for-like run.
		linterOptions: { noInlineConfig: true, reportUnusedDisableDirectives: "off" },
	},
	{
		files: ["**/*.js", "**/*.jsx", "**/*.cjs"],
		languageOptions: { ecmaVersion: "latest", sourceType: "commonjs", globals: globals.node },
		rules,
	},
	{
		// CommonJS unless the file only parses as ESM, as Node decides.
		files: ["**/*.js", "**/*.jsx"],
		languageOptions: { parser: nodeDetectParser },
	},
	{
		files: ["**/*.jsx"],
		languageOptions: { parserOptions: { ecmaFeatures: { jsx: true } } },
	},
	{
		files: ["**/*.mjs"],
		languageOptions: { ecmaVersion: "latest", sourceType: "module", globals: globals.node },
		rules,
	},
	...pkgTypes.map(({ dir, type }) => ({
		files: [`${dir}/**/*.js`, `${dir}/**/*.jsx`],
		languageOptions: { sourceType: type },
	})),
	{
		// Syntax only: no type-aware linting (no parserOptions.project).
		files: ["**/*.ts", "**/*.mts", "**/*.cts", "**/*.tsx"],
		languageOptions: { parser: tsParser, sourceType: "module", globals: globals.node },
		rules,
	},
	{
		files: ["**/*.cts"],
		languageOptions: { sourceType: "commonjs" },
	},
];
