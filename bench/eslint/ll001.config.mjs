// Flat config used by bench/eslint_compare.py: ESLint's view of implicit
// globals in old CommonJS/UMD packages, to compare with leaklint's LL001.
//
// - leaklint-bench/undef-write: no-undef restricted to writes (ll001-plugin.mjs)
// - no-undef and no-implicit-globals: the stock rules, for reference counts
// Globals: Node (+ CommonJS) everywhere, as leaklint's default env "node";
// browser too for the dirs in LEAKLINT_BENCH_BROWSER_DIRS (comma list,
// relative to the cwd), matching leaklint's env = ["node", "browser"] there.
// Inline config stays on: /* global */ comments count for leaklint as well.
import globals from "globals";
import ll001 from "./ll001-plugin.mjs";
import * as nodeDetectParser from "./node-detect-parser.mjs";

const browserDirs = (process.env.LEAKLINT_BENCH_BROWSER_DIRS ?? "").split(",").filter(Boolean);

export default [
	{ ignores: ["**/*.d.ts", "**/*.d.mts", "**/*.d.cts"] },
	{ linterOptions: { reportUnusedDisableDirectives: "off" } },
	{
		files: ["**/*.js", "**/*.jsx", "**/*.cjs", "**/*.mjs"],
		plugins: { "leaklint-bench": ll001 },
		languageOptions: {
			ecmaVersion: "latest",
			sourceType: "commonjs",
			parser: nodeDetectParser,
			globals: globals.node,
		},
		rules: {
			"leaklint-bench/undef-write": "error",
			"leaklint-bench/explain": "error",
			"no-undef": "error",
			"no-implicit-globals": "error",
		},
	},
	{ files: ["**/*.mjs"], languageOptions: { sourceType: "module" } },
	...browserDirs.map((dir) => ({
		files: [`${dir}/**/*.js`],
		languageOptions: { globals: globals.browser },
	})),
];
