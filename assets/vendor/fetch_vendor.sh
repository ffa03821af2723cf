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
# plotly.js: the version plotly.py bundles (python -c "import plotly.offline as o;
# print(o.get_plotlyjs_version())"; tests/test_vendor.py checks they agree), built with only
# the traces the app draws; the build tools pinned.
PLOTLYJS=plotly.js@4.1.1
BUILD_TOOLS="esbuild@0.28.2 esbuild-plugin-environment@0.5.0 esbuild-plugin-inline-css@0.0.1 stream-browserify@3.0.0"

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

# Leaflet is not loaded by the Dash app (app.py sets assets_path_ignore for leaflet-export/);
# components/map_export.py inlines it into exported standalone HTML maps.
mkdir -p "$HERE/leaflet-export"
cp leaflet-1.9.4/package/dist/leaflet.js leaflet-1.9.4/package/dist/leaflet.css "$HERE/leaflet-export/"
cp leaflet-1.9.4/package/LICENSE "$HERE/leaflet-export/LICENSE"
# plotly.js with the app's traces only (scatter, bar, heatmap, scattermap, choroplethmap): Dash
# loads every assets/**/*.js before the renderer starts, dcc.Graph then uses window.Plotly and
# never fetches plotly.py's full bundle (4.8 MB, about 1.3 s to evaluate in a slow browser
# against about 0.4 s for this one: bench note in README.md). A trace type not listed here is
# not drawn: add it to the entry below, run this script, commit the result.
mkdir -p plotly-build && cd plotly-build
npm init -y >/dev/null
npm install --silent --no-audit --no-fund "$PLOTLYJS" $BUILD_TOOLS
cat > entry.js <<'JS'
'use strict';
var Plotly = require('plotly.js/lib/core');
Plotly.register([
    require('plotly.js/lib/bar'),
    require('plotly.js/lib/heatmap'),
    require('plotly.js/lib/scattermap'),
    require('plotly.js/lib/choroplethmap'),
]);
module.exports = Plotly;
JS
# plotly.js's own esbuild settings (its esbuild-config.js), minified, licences kept at the end
cat > build.js <<'JS'
require('esbuild').build({
    entryPoints: ['./entry.js'], outfile: process.argv[2], format: 'iife', globalName: 'Plotly',
    bundle: true, minify: true, sourcemap: false, target: 'es2016', legalComments: 'eof',
    plugins: [require('esbuild-plugin-inline-css')(),
              require('esbuild-plugin-environment').environmentPlugin({ NODE_DEBUG: false })],
    alias: { regl: '@plotly/regl', stream: 'stream-browserify' },
    define: { global: 'window', 'define.amd': 'false' },
}).catch(() => process.exit(1));
JS
mkdir -p "$HERE/plotly"
node build.js "$HERE/plotly/plotly-kp.min.js"
cp node_modules/plotly.js/LICENSE "$HERE/plotly/LICENSE"
cp node_modules/maplibre-gl/LICENSE.txt "$HERE/plotly/LICENSE-maplibre-gl.txt"
cd ..
echo "vendored: $BOOTSTRAP $ICONS $LEAFLET $PLOTLYJS (app traces) into $HERE"
