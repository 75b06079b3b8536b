// Two small ESLint rules used by bench/eslint_compare.py to hold leaklint's
// LL001 (implicit-global) against ESLint's own scope analysis.
//
// undef-write: exactly no-undef (every reference left unresolved in the
//   global scope, i.e. globalScope.through), restricted to references that
//   eslint-scope classifies as writes (=, op=, ++/--, for-in/of heads,
//   destructuring targets). Deciding "is it a write" with the analyzer ESLint
//   itself uses is sounder than guessing from the source text of a no-undef
//   report. The message is JSON with facts the harness uses to explain
//   differences: the enclosing function (LL001 reports a name once per
//   function), whether the write sits in a `with` body or under a typeof test.
//
// explain: for identifiers at positions listed in the JSON file named by
//   LEAKLINT_BENCH_EXPLAIN ({absolute path: [[line, column1], ...]}), reports
//   how ESLint resolved them, so a leaklint-only finding can be explained
//   ("ESLint: declared by a var at line 12", "ESLint: configured global").
import fs from "node:fs";

const FUNCTIONS = new Set(["FunctionDeclaration", "FunctionExpression", "ArrowFunctionExpression"]);

function enclosingFunction(node) {
	for (let current = node.parent; current; current = current.parent) {
		if (FUNCTIONS.has(current.type)) {
			return `${current.loc.start.line}:${current.loc.start.column + 1}`;
		}
	}
	return "top";
}

function insideWith(node) {
	for (let current = node.parent; current; current = current.parent) {
		if (current.type === "WithStatement" && current.body.range[0] <= node.range[0]) {
			return true;
		}
	}
	return false;
}

// Same shape as leaklint's feature-test exemption: a condition that mentions
// `typeof name`, up to the enclosing function.
function typeofGuarded(node, sourceCode) {
	const pattern = new RegExp(`typeof\\s*\\(?\\s*${node.name.replace(/\$/gu, "\\$")}\\b`, "u");
	let child = node;
	for (let current = node.parent; current && !FUNCTIONS.has(current.type); current = current.parent) {
		const test =
			current.type === "IfStatement" || current.type === "ConditionalExpression"
				? current.test
				: current.type === "LogicalExpression" && current.right === child
					? current.left
					: null;
		if (test && test !== child && pattern.test(sourceCode.getText(test))) {
			return true;
		}
		child = current;
	}
	return false;
}

const undefWrite = {
	meta: { type: "problem", schema: [] },
	create(context) {
		const sourceCode = context.sourceCode;
		return {
			"Program:exit"(program) {
				for (const ref of sourceCode.getScope(program).through) {
					if (!ref.isWrite()) {
						continue;
					}
					const node = ref.identifier;
					const facts = {
						name: node.name,
						fn: enclosingFunction(node),
						readToo: ref.isRead(),
						with: insideWith(node),
						typeofGuard: typeofGuarded(node, sourceCode),
					};
					context.report({ node, message: JSON.stringify(facts) });
				}
			},
		};
	},
};

let wanted = null;

function positionsFor(filename) {
	if (wanted === null) {
		const file = process.env.LEAKLINT_BENCH_EXPLAIN;
		wanted = file ? JSON.parse(fs.readFileSync(file, "utf8")) : {};
	}
	return new Set((wanted[filename] ?? []).map(([line, column]) => `${line}:${column}`));
}

function describe(ref) {
	if (!ref) {
		return "not a variable reference";
	}
	const how = ref.isWrite() ? "write" : "read";
	if (!ref.resolved) {
		return `unresolved ${how}`;
	}
	const def = ref.resolved.defs[0];
	if (!def) {
		return `${how} of a configured global`;
	}
	const kind = def.type === "Variable" ? def.parent.kind : def.type;
	return `${how} of a ${kind} declared at line ${def.name.loc.start.line}`;
}

const explain = {
	meta: { type: "problem", schema: [] },
	create(context) {
		const positions = positionsFor(context.filename);
		if (positions.size === 0) {
			return {};
		}
		const sourceCode = context.sourceCode;
		return {
			Identifier(node) {
				const key = `${node.loc.start.line}:${node.loc.start.column + 1}`;
				if (!positions.has(key)) {
					return;
				}
				let ref = null;
				for (let scope = sourceCode.getScope(node); scope && !ref; scope = scope.upper) {
					ref = scope.references.find((r) => r.identifier === node) ?? null;
				}
				context.report({ node, message: describe(ref) });
			},
		};
	},
};

export default {
	meta: { name: "leaklint-bench", version: "1.0.0" },
	rules: { "undef-write": undefWrite, explain },
};
