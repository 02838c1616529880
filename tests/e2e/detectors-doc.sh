#!/bin/sh
# detectors-doc.sh MXSNIFF MANPAGE - the manual's DETECTORS section must be
# exactly what man/detectors-section.sh makes of `mxsniff --list-detectors`.
set -eu
mx=$1
man=$2
here=$(dirname "$0")
want=$(mktemp)
got=$(mktemp)
trap 'rm -f "$want" "$got"' EXIT
"$here/../../man/detectors-section.sh" "$mx" > "$want"
# the section runs from ".Sh DETECTORS" to the next ".Sh"
awk '/^\.Sh DETECTORS$/{on=1} on && /^\.Sh / && !/DETECTORS/{exit} on{print}' "$man" > "$got"
if ! diff -u "$want" "$got"; then
	echo "detectors-doc: man page DETECTORS section differs from --list-detectors;" >&2
	echo "regenerate it with man/detectors-section.sh" >&2
	exit 1
fi
n=$(grep -c '^\.It Sy ' "$got")
echo "detectors-doc: $n detectors documented as listed"
