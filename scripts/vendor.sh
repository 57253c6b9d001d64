#!/usr/bin/env bash
# Fetch pinned front-end packages from the npm registry into static/vendor/ and
# regenerate static/vendor/README.md (versions, licenses, files, sha256).
#
#   scripts/vendor.sh            fetch every package below, copy its files, rewrite the README
#   scripts/vendor.sh --check    offline: verify the files in the tree against the README's sha256 list
#
# Each tarball is fetched with `npm pack <name>@<exact version>` into a temp dir and checked
# against the registry integrity pinned below before anything is copied, so a re-run either
# reproduces the committed files byte for byte or fails loudly.
#
# To add a package: append one line to PACKAGES and run the script. Format (| separated):
#   npm name | exact version | dist.integrity (`npm view NAME@VERSION dist.integrity`) |
#   folder under static/vendor/ | space-separated "path/in/package=>file name" pairs
# The package's LICENSE file is always copied as well.
#
# Bundles built with esbuild by scripts/vendor-bundles.sh (CodeMirror 6, yaml) are listed in
# BUNDLES: this script does not rebuild them, it only lists their files and checksums in the README.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENDOR="$ROOT/static/vendor"
README="$VENDOR/README.md"

PACKAGES=(
  "tabulator-tables|6.5.3|sha512-nJ2QaqZzQvd9B4rf4LBnRxfb6sSqA/BX2OsXnSJ2d8k21oXDSTtFtOUrDap04a/6BDGivC/MByCxy43ugadJIg==|tabulator|dist/js/tabulator.min.js=>tabulator.min.js dist/css/tabulator.min.css=>tabulator.min.css dist/css/tabulator_simple.min.css=>tabulator_simple.min.css"
  "gridstack|14.1.0|sha512-nF6asbGVnIJH7N9pa+DCaSBGAoEvTNS7jYHUJfcNN+5bTD3a4pLEKvGia7W/6NbjiJWms9e3Zih1YuU4coT3QA==|gridstack|dist/gridstack-all.js=>gridstack-all.js dist/gridstack-all.js.LICENSE.txt=>gridstack-all.js.LICENSE.txt dist/gridstack.min.css=>gridstack.min.css"
  "chart.js|4.6.1|sha512-hJyniucsFmq//EvXYvJ6c6mahPoI3kaxdjVH8awTaJ/fDNWeSqqqArixMJWkWNN6fcYvPU3HneSANFNYtRi61g==|chartjs|dist/chart.umd.min.js=>chart.umd.min.js"
)

# Folders built by scripts/vendor-bundles.sh. Format (| separated):
#   what went in | license | folder under static/vendor/
BUNDLES=(
  "\`codemirror@6.0.2\` + \`@codemirror/lang-sql@6.10.0\` + \`@codemirror/lang-yaml@6.1.3\` (esbuild IIFE, global \`CM6\`)|MIT|codemirror6"
  "\`yaml@2.9.1\` (esbuild IIFE, global \`YAML\`)|ISC|yaml"
)

die() { echo "vendor.sh: $*" >&2; exit 1; }

check() {
  [[ -f "$README" ]] || die "$README not found"
  # The README carries a sha256sum-format block between these markers.
  local sums
  sums="$(sed -n '/^<!-- sha256sum:begin -->$/,/^<!-- sha256sum:end -->$/p' "$README" \
          | grep -E '^[0-9a-f]{64}  ')" || die "no sha256 list in $README"
  (cd "$VENDOR" && sha256sum --check --strict <<<"$sums")
}

if [[ "${1:-}" == "--check" ]]; then
  check
  exit 0
elif [[ $# -gt 0 ]]; then
  die "usage: $0 [--check]"
fi

command -v npm >/dev/null || die "npm is required"
command -v node >/dev/null || die "node is required"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# Base64 sha512 of a file, the form npm uses in dist.integrity.
sri_sha512() {
  node -e 'const c=require("crypto"),f=require("fs");
    process.stdout.write("sha512-"+c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$1"
}

table_rows=()
sum_lines=()

for spec in "${PACKAGES[@]}"; do
  IFS='|' read -r name version integrity folder files <<<"$spec"
  echo "== $name@$version -> static/vendor/$folder/"
  work="$TMP/$folder"
  mkdir -p "$work"
  tgz="$(cd "$work" && npm pack --silent "$name@$version" 2>"$work/npm.log" | tail -n 1)" \
    || { cat "$work/npm.log" >&2; die "npm pack $name@$version failed"; }
  [[ -f "$work/$tgz" ]] || die "npm pack did not produce a tarball for $name@$version"
  got="$(sri_sha512 "$work/$tgz")"
  [[ "$got" == "$integrity" ]] || die "$name@$version integrity mismatch: got $got, pinned $integrity"
  tar -xzf "$work/$tgz" -C "$work"
  pkg="$work/package"

  got_version="$(node -p 'require(process.argv[1]).version' "$pkg/package.json")"
  [[ "$got_version" == "$version" ]] || die "$name: tarball says version $got_version"
  license="$(node -p 'require(process.argv[1]).license || "?"' "$pkg/package.json")"
  license_file=""
  for cand in "$pkg"/LICENSE* "$pkg"/LICENCE* "$pkg"/license*; do
    if [[ -f "$cand" ]]; then license_file="${cand##*/}"; break; fi
  done
  [[ -n "$license_file" ]] || die "$name@$version has no LICENSE file"

  dest="$VENDOR/$folder"
  rm -rf "$dest"
  mkdir -p "$dest"
  cp "$pkg/$license_file" "$dest/LICENSE"
  listed=("LICENSE")
  for pair in $files; do
    src="${pair%%=>*}"
    dst="${pair##*=>}"
    [[ -f "$pkg/$src" ]] || die "$name@$version has no $src"
    cp "$pkg/$src" "$dest/$dst"
    listed+=("$dst")
  done

  file_cells=""
  for f in "${listed[@]}"; do
    sum_lines+=("$(cd "$VENDOR" && sha256sum "$folder/$f")")
    file_cells+="${file_cells:+<br>}\`$f\`"
  done
  table_rows+=("| \`$name\` | $version | $license | \`$folder/\` | $file_cells |")
done

for spec in "${BUNDLES[@]}"; do
  IFS='|' read -r what license folder <<<"$spec"
  [[ -d "$VENDOR/$folder" ]] || die "static/vendor/$folder is missing: run scripts/vendor-bundles.sh"
  file_cells=""
  while IFS= read -r f; do
    sum_lines+=("$(cd "$VENDOR" && sha256sum "$folder/$f")")
    file_cells+="${file_cells:+<br>}\`$f\`"
  done < <(cd "$VENDOR/$folder" && find . -type f -printf '%P\n' | LC_ALL=C sort)
  table_rows+=("| $what | see \`scripts/vendor-bundles/package-lock.json\` | $license | \`$folder/\` | $file_cells |")
done

{
  cat <<'EOF'
# static/vendor — pinned third-party front-end files

Generated by `scripts/vendor.sh`; do not edit by hand. To change a version or add a package, edit
the `PACKAGES` list in the script (exact version + the registry's `dist.integrity`) and re-run:

```
scripts/vendor.sh           # needs npm and the npm registry; rewrites the folders below and this file
scripts/vendor.sh --check   # offline: verifies the committed files against the sha256 list below
```

Only the files the runtime loads are copied, plus each package's license. Folder names carry no
version, so templates do not change on upgrade; the version lives here.

CodeMirror 6 and `yaml` are ES modules: `scripts/vendor-bundles.sh` bundles them once with esbuild
from the exact versions in `scripts/vendor-bundles/package-lock.json` (each folder's
`LICENSES.txt` holds the license of every package inside its bundle), then runs `scripts/vendor.sh`.

| package | version | license | folder | files |
|---|---|---|---|---|
EOF
  printf '%s\n' "${table_rows[@]}"
  cat <<'EOF'

Notes:
- Tabulator: `tabulator.min.css` (default look) and `tabulator_simple.min.css` (lighter, borderless
  theme) are each a *complete* stylesheet, not an add-on: link exactly one of them.
- GridStack: `gridstack-all.js` is the self-contained build (global `GridStack`, no dependencies).
- Chart.js: `chart.umd.min.js` is the UMD build (global `Chart`); runtime pages link it only when
  the app has a `chart` widget (`vendor_scripts` in `widgets/chart.py`).

## sha256

<!-- sha256sum:begin -->
```
EOF
  printf '%s\n' "${sum_lines[@]}"
  cat <<'EOF'
```
<!-- sha256sum:end -->
EOF
} >"$README"

check
echo "wrote $README"
