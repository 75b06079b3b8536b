// LL001 implicit-global, flagged: the seed's calculateArea writes to an undeclared name.
// CommonJS without 'use strict' is sloppy mode, so `area` becomes a property of globalThis.
const { intFromEnv, runCase } = require('../../lib/harness');

function calculateArea(width, height) {
  area = width * height;
  return area;
}

runCase(async () => {
  const n = intFromEnv('EVIDENCE_N', 100);
  const before = new Set(Object.getOwnPropertyNames(globalThis));
  for (let i = 0; i < n; i += 1) calculateArea(10, i);
  const leaked = Object.getOwnPropertyNames(globalThis).filter((name) => !before.has(name));
  return { value: leaked.length, unit: 'globals', n, details: { names: leaked } };
});
