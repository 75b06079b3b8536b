// LL001 implicit-global, fixed: the same function with the name declared.
const { intFromEnv, runCase } = require('../../lib/harness');

function calculateArea(width, height) {
  const area = width * height;
  return area;
}

runCase(async () => {
  const n = intFromEnv('EVIDENCE_N', 100);
  const before = new Set(Object.getOwnPropertyNames(globalThis));
  for (let i = 0; i < n; i += 1) calculateArea(10, i);
  const leaked = Object.getOwnPropertyNames(globalThis).filter((name) => !before.has(name));
  return { value: leaked.length, unit: 'globals', n, details: { names: leaked } };
});
