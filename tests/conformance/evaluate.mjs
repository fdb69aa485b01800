// Scores one run of the MCP conformance suite against one server, applying
// run.sh's list of not-applicable scenarios and checks.
//
//   node evaluate.mjs SERVER_NAME MCP_URL SUITE_LOG
//
// SUITE_LOG is the suite's stdout (`conformance server ... -o DIR`): it names
// each scenario it ran ("=== Running scenario: X ===") and the directory it
// saved that scenario's checks.json in ("Results saved to DIR"). The
// not-applicable list comes in the environment as CONFORMANCE_NOT_APPLICABLE
// (format: see run.sh). Prints one line per scenario, the failing checks with
// the suite's evidence, and finally `SERVER: N passed, M failed, K skipped`.
// Exits 1 if an applicable scenario failed, 0 otherwise.

import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";

const [server, url, logPath] = process.argv.slice(2);
if (!server || !url || !logPath) {
  console.error("usage: node evaluate.mjs SERVER_NAME MCP_URL SUITE_LOG");
  process.exit(2);
}

// ---- the not-applicable list ------------------------------------------------
const CONDITIONS = /^(always|untestable|no-[A-Za-z0-9_]+)$/;
const entries = (process.env.CONFORMANCE_NOT_APPLICABLE ?? "")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#"))
  .map((l) => {
    const [pattern, condition, ...reason] = l.split(/\s+/);
    if (!CONDITIONS.test(condition ?? "") || reason.length === 0) {
      console.error(`bad NOT_APPLICABLE entry (want PATTERN CONDITION REASON): ${l}`);
      process.exit(2);
    }
    const [scen, check] = pattern.split(":");
    return { pattern, scen: glob(scen), check: check === undefined ? null : glob(check), condition, reason: reason.join(" ") };
  });

function glob(p) {
  const re = p.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
  return new RegExp(`^${re}$`);
}

// ---- the server's declared capabilities (for no-CAPABILITY conditions) ------
async function discoverCapabilities() {
  const meta = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientInfo": { name: "promptsales-conformance", version: "1" },
    "io.modelcontextprotocol/clientCapabilities": {},
  };
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json, text/event-stream",
        "MCP-Protocol-Version": "2026-07-28",
        "Mcp-Method": "server/discover",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "server/discover", params: { _meta: meta } }),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    const line = text.split(/\r?\n/).find((l) => l.includes('"jsonrpc"')) ?? text;
    const body = JSON.parse(line.replace(/^data:\s*/, ""));
    return body?.result?.capabilities ?? null;
  } catch (e) {
    console.error(`warning: server/discover failed (${e.message}); no-CAPABILITY entries apply`);
    return null;
  }
}
const caps = (await discoverCapabilities()) ?? {};

const isUntestable = (c) => c.details?.untestable === true || /^Not testable:/.test(c.errorMessage ?? "");

function holds(entry, failures) {
  if (entry.condition === "always") return true;
  if (entry.condition === "untestable") return failures.length > 0 && failures.every(isUntestable);
  return !(entry.condition.slice(3) in caps); // no-NAME
}

// ---- the suite's results ----------------------------------------------------
const scenarios = [];
for (const line of readFileSync(logPath, "utf8").split("\n")) {
  let m = line.match(/^=== Running scenario: (\S+) ===/);
  if (m) scenarios.push({ name: m[1], dir: null });
  m = line.match(/^Results saved to (.+)$/);
  if (m && scenarios.length) scenarios[scenarios.length - 1].dir = m[1].trim();
}
if (scenarios.length === 0) {
  console.log(`${server}: the suite ran no scenario (see its output above)`);
  console.log(`${server}: 0 passed, 1 failed, 0 skipped`);
  process.exit(1);
}

let passed = 0, failed = 0, skipped = 0;
const short = (v, n = 600) => {
  const s = typeof v === "string" ? v : JSON.stringify(v);
  return s && s.length > n ? `${s.slice(0, n)}…` : s;
};

for (const { name, dir } of scenarios) {
  const file = dir && join(dir, "checks.json");
  const checks = file && existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : null;
  const failures = (checks ?? []).filter((c) => c.status === "FAILURE");

  const whole = entries.find(
    (e) => e.check === null && e.scen.test(name) && (checks !== null || e.condition !== "untestable") && holds(e, failures),
  );
  if (whole) {
    skipped++;
    console.log(`  N/A  ${name} (${whole.condition}: ${whole.reason})`);
    continue;
  }
  if (checks === null) {
    failed++;
    console.log(`  FAIL ${name}: the suite saved no results for it (it crashed or timed out: see ${logPath})`);
    continue;
  }
  const excused = [], real = [];
  for (const c of failures) {
    const e = entries.find((e) => e.check !== null && e.scen.test(name) && e.check.test(c.id) && holds(e, [c]));
    (e ? excused : real).push(c);
  }
  const note = excused.length ? ` (${excused.length} check(s) not applicable: ${excused.map((c) => c.id).join(", ")})` : "";
  if (real.length === 0) {
    passed++;
    console.log(`  PASS ${name}${note}`);
  } else {
    failed++;
    console.log(`  FAIL ${name}${note}`);
    for (const c of real) {
      console.log(`       ${c.id}: ${c.errorMessage ?? "(no message)"}`);
      if (c.details && Object.keys(c.details).length) console.log(`         details: ${short(c.details)}`);
    }
  }
}

console.log(`${server}: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
