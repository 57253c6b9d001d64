#!/usr/bin/env bash
# Build the browser bundles that npm does not ship as plain <script> files, once, at vendoring
# time, then regenerate static/vendor/README.md (through scripts/vendor.sh).
#
#   static/vendor/codemirror6/cm6-sql.min.js   global CM6: codemirror 6.0.2, @codemirror/lang-sql
#                                              6.10.0, @codemirror/lang-yaml, lint, autocomplete
#   static/vendor/yaml/yaml.min.js             global YAML: the `yaml` package (Document API)
#
# The exact package versions are scripts/vendor-bundles/package-lock.json; `npm ci` installs
# exactly those (integrity-checked) in a temp dir and esbuild (pinned in the same lock) bundles the
# entry files next to this script into minified IIFEs. Each output folder gets LICENSES.txt: the
# license of every package that went into its bundle (from esbuild's metafile).
#
# To change a version: edit scripts/vendor-bundles/package.json, run `npm install` there to update
# the lock, then run this script and commit the lock, the bundles and the README together.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/scripts/vendor-bundles"
VENDOR="$ROOT/static/vendor"

die() { echo "vendor-bundles.sh: $*" >&2; exit 1; }
command -v npm >/dev/null || die "npm is required"
command -v node >/dev/null || die "node is required"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
cp "$SRC/package.json" "$SRC/package-lock.json" "$SRC"/*.js "$TMP/"
(cd "$TMP" && npm ci --no-audit --no-fund --silent) || die "npm ci failed"

# bundle NAME ENTRY GLOBAL FOLDER FILE
bundle() {
  local entry="$1" global="$2" folder="$3" file="$4"
  local dest="$VENDOR/$folder"
  echo "== $entry -> static/vendor/$folder/$file (global $global)"
  rm -rf "$dest"
  mkdir -p "$dest"
  (cd "$TMP" && ./node_modules/.bin/esbuild "$entry" --bundle --minify --format=iife \
      --global-name="$global" --target=es2019 --legal-comments=none --charset=utf8 \
      --metafile="$TMP/$folder.meta.json" --outfile="$dest/$file" --log-level=warning)
  node - "$TMP" "$TMP/$folder.meta.json" "$dest/LICENSES.txt" <<'NODE'
const fs = require("fs"), path = require("path");
const [root, metaFile, out] = process.argv.slice(2);
const meta = JSON.parse(fs.readFileSync(metaFile, "utf8"));
const dirs = new Set();
for (const input of Object.keys(meta.inputs)) {
  const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (m) dirs.add(m[1]);
}
const parts = [];
for (const dir of [...dirs].sort()) {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, dir, "package.json"), "utf8"));
  const file = fs.readdirSync(path.join(root, dir)).find((f) => /^licen[cs]e/i.test(f));
  if (!file) throw new Error(`${pkg.name} has no license file`);
  const text = fs.readFileSync(path.join(root, dir, file), "utf8").trim();
  parts.push(`${pkg.name}@${pkg.version} (${pkg.license})\n${"-".repeat(72)}\n${text}\n`);
}
fs.writeFileSync(out, parts.join("\n"));
console.log(`   ${dirs.size} packages, licenses in ${path.relative(process.cwd(), out)}`);
NODE
}

bundle codemirror6.js CM6 codemirror6 cm6-sql.min.js
bundle yaml.js YAML yaml yaml.min.js

# The README lists every vendored file with its sha256 (the npm packages are re-fetched and
# checked against their pinned integrity on the way).
"$ROOT/scripts/vendor.sh"
