// An espree wrapper that follows Node's own module syntax detection.
//
// Node (20.19+, 22.7+) loads a .js file outside a "type": "module" package as
// CommonJS, unless it only parses as ESM (import/export at the top level):
// then it loads it as ESM. ESLint has no such "auto" source type, so without
// this wrapper the bundler-only ESM builds shipped in many packages (esm/
// folders without a package.json of their own) would be fatal parse errors
// and simply not linted, which would make ESLint look faster than it is.
import * as espree from "espree";
import * as eslintScope from "eslint-scope";
import * as evk from "eslint-visitor-keys";

const ESM_ONLY = /'import' and 'export' may appear only with 'sourceType: module'/u;

export const meta = { name: "leaklint-bench/node-detect-parser", version: "1.0.0" };

export function parseForESLint(code, options) {
	let sourceType = options.sourceType;
	let ast;
	try {
		ast = espree.parse(code, options);
	} catch (error) {
		if (sourceType !== "commonjs" || !ESM_ONLY.test(error.message)) {
			throw error;
		}
		sourceType = "module";
		ast = espree.parse(code, { ...options, sourceType });
	}
	// The same scope analysis ESLint runs for espree, with the detected type.
	const scopeManager = eslintScope.analyze(ast, {
		ignoreEval: true,
		ecmaVersion: typeof options.ecmaVersion === "number" ? options.ecmaVersion : 6,
		sourceType,
		childVisitorKeys: evk.KEYS,
		fallback: evk.getKeys,
		jsx: options.ecmaFeatures?.jsx,
	});
	return { ast, scopeManager, visitorKeys: evk.KEYS };
}
