#!/usr/bin/env bash
# Fetch the vendored front-end files (run once by a maintainer; the results are committed).
# The app never fetches anything at run time: it must work with the network blocked.
# Usage: bash assets/vendor/fetch_vendor.sh   (needs npm and access to the npm registry)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
BOOTSTRAP=bootstrap@5.3.8
ICONS=bootstrap-icons@1.13.1
LEAFLET=leaflet@1.9.4

cd "$WORK"
for pkg in "$BOOTSTRAP" "$ICONS" "$LEAFLET"; do
  npm pack --silent "$pkg" >/dev/null
done
for tgz in *.tgz; do
  name="${tgz%.tgz}"; mkdir -p "$name"; tar -xzf "$tgz" -C "$name"
done

# Bootstrap CSS: Dash serves every assets/**/*.css automatically.
mkdir -p "$HERE/bootstrap"
cp bootstrap-5.3.*/package/dist/css/bootstrap.min.css "$HERE/bootstrap/"
cp bootstrap-5.3.*/package/LICENSE "$HERE/bootstrap/LICENSE"

# Bootstrap icons: the font CSS refers to ./fonts/bootstrap-icons.woff2?hash (relative).
mkdir -p "$HERE/bootstrap-icons/fonts"
cp bootstrap-icons-*/package/font/bootstrap-icons.min.css "$HERE/bootstrap-icons/"
cp bootstrap-icons-*/package/font/fonts/bootstrap-icons.woff bootstrap-icons-*/package/font/fonts/bootstrap-icons.woff2 "$HERE/bootstrap-icons/fonts/"
cp bootstrap-icons-*/package/LICENSE "$HERE/bootstrap-icons/LICENSE"

# Leaflet is not loaded by the Dash app (app.py sets assets_ignore for leaflet-export/);
# components/map_export.py inlines it into exported standalone HTML maps.
mkdir -p "$HERE/leaflet-export"
cp leaflet-1.9.4/package/dist/leaflet.js leaflet-1.9.4/package/dist/leaflet.css "$HERE/leaflet-export/"
cp leaflet-1.9.4/package/LICENSE "$HERE/leaflet-export/LICENSE"
echo "vendored: $BOOTSTRAP $ICONS $LEAFLET into $HERE"
