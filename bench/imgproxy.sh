#!/usr/bin/env bash
# Builds imgproxy from its public source for `make bench` to run beside
# picpipe, against the system's libvips. Nothing of imgproxy is kept in
# this repository: IMGPROXY_SRC is a checkout (or a bare clone: its HEAD is
# used) of https://github.com/imgproxy/imgproxy.
#
#   IMGPROXY_SRC=~/src/imgproxy bench/imgproxy.sh [OUT]   (default bin/imgproxy)
set -euo pipefail
src=${IMGPROXY_SRC:?set IMGPROXY_SRC to a checkout of github.com/imgproxy/imgproxy}
out=$(realpath -m "${1:-bin/imgproxy}")
mkdir -p "$(dirname "$out")"
version=$(git -C "$src" describe --tags --always 2>/dev/null || echo "the source at $src")
if [ ! -f "$src/go.mod" ]; then # a bare clone: build its HEAD
	tree=$(mktemp -d)
	trap 'rm -rf "$tree"' EXIT
	git -C "$src" archive HEAD | tar -x -C "$tree"
	src=$tree
fi
cd "$src"
main=. # v3; v4 keeps its main package in cli/
[ -d cli ] && main=./cli
CGO_LDFLAGS_ALLOW='-s|-w' ${GO:-go} build -o "$out" "$main"
echo "built $out from imgproxy $version"
