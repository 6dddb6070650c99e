#!/usr/bin/env bash
# Fill Solara's asset cache from the npm registry so `abm serve` never needs the internet.
# Usage: scripts/fetch_web_assets.sh [CACHE_DIR]   (default: $SOLARA_ASSETS_PROXY_CACHE_DIR or
# .venv/share/solara/cdn, Solara's own default for this venv). Idempotent: packages already
# in the cache are skipped. Uses only `npm pack` (about 10 s and 170 MB the first time).
# Layout Solara expects (solara/server/cdn_helper.py): CACHE_DIR/<name>@<version>/<path>, i.e.
# the contents of the npm tarball's package/ folder.
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE_DIR=${1:-${SOLARA_ASSETS_PROXY_CACHE_DIR:-.venv/share/solara/cdn}}
PKGS=(
  "@widgetti/solara-vuetify-app@10.1.1"        # page shell for ipyvuetify 1.x (Vue 2)
  "@widgetti/solara-vuetify3-app@5.2.0"        # page shell for ipyvuetify 3.x (not used; kept for safety)
  "font-awesome@4.5.0"
  "requirejs@2.3.6"
  "@widgetti/vue-grid-layout@2.3.13-alpha.2"   # SolaraViz's grid (loaded lazily; our page has its own layout)
  "vega@5" "vega-lite@5" "vega-embed@6"        # Altair components; folder names must match the URLs
)
missing=()
for spec in "${PKGS[@]}"; do
  dest="$CACHE_DIR/$spec"
  if [ -d "$dest" ] && [ -n "$(ls -A "$dest")" ]; then continue; fi
  missing+=("$spec")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if ! command -v npm >/dev/null 2>&1; then
  echo "fetch_web_assets: npm not found; install it (apt-get install npm) to cache the demo's web assets" >&2
  exit 1
fi
mkdir -p "$CACHE_DIR"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for spec in "${missing[@]}"; do
  ( cd "$tmp" && npm pack --silent "$spec" >/dev/null )
  tgz=$(ls "$tmp"/*.tgz)
  mkdir -p "$CACHE_DIR/$spec.part"
  tar -xzf "$tgz" -C "$CACHE_DIR/$spec.part" --strip-components=1
  rm -f "$tgz"
  rm -rf "${CACHE_DIR:?}/$spec"
  mv "$CACHE_DIR/$spec.part" "$CACHE_DIR/$spec"
  echo "fetch_web_assets: cached $spec"
done
