#!/usr/bin/env bash
# Takes a screenshot of URL, as headless Chromium renders it, into OUT.png:
#
#   scripts/screenshot.sh URL OUT.png [WIDTHxHEIGHT]     (default 800x600)
#
# The tutorial uses it for "what the browser shows" (chapter 3), and tests/screenshot.rs
# checks that it works. It needs Debian's `chromium` (or chromium-browser, google-chrome).
# Chromium is started with a throw-away profile and without the features that reach for
# the network on their own, and is stopped after 60 s if it has not finished by then;
# point it only at a server on this machine (127.0.0.1 or [::1]).
set -euo pipefail

if [ "$#" -lt 2 ] || [ "$#" -gt 3 ]; then
  echo "usage: $0 URL OUT.png [WIDTHxHEIGHT]" >&2
  exit 2
fi
url=$1
out=$2
size=${3:-800x600}
if ! [[ $size =~ ^[0-9]+x[0-9]+$ ]]; then
  echo "error: size must be WIDTHxHEIGHT, like 800x600, not $size" >&2
  exit 2
fi

browser=
for candidate in chromium chromium-browser google-chrome; do
  if command -v "$candidate" >/dev/null 2>&1; then
    browser=$candidate
    break
  fi
done
if [ -z "$browser" ]; then
  echo "error: chromium not installed (Debian: apt-get install chromium)" >&2
  exit 127
fi

# Chromium writes the file relative to its own working directory: make the path absolute.
case $out in
  /*) ;;
  *) out="$PWD/$out" ;;
esac
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
rm -f "$out"

# --headless renders without a window and exits once the screenshot is written;
# --no-sandbox because CI runs as root, where Chromium's sandbox refuses to start;
# --hide-scrollbars so that the image is the page and nothing else.
timeout --kill-after=5 60 "$browser" \
  --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --no-first-run --disable-background-networking --disable-component-update \
  --disable-sync --disable-quic --disable-extensions \
  --user-data-dir="$profile" \
  --window-size="${size/x/,}" \
  --screenshot="$out" \
  "$url" >/dev/null 2>&1 || true

if [ ! -s "$out" ]; then
  echo "error: $browser wrote no screenshot of $url" >&2
  exit 1
fi
echo "$out"
