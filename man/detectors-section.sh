#!/bin/sh
# detectors-section.sh MXSNIFF - print the manual's DETECTORS section (mdoc)
# from `mxsniff --list-detectors`. The e2e test detectors-doc checks that
# man/mxsniff.8 holds exactly this text; after adding a detector, run
#   man/detectors-section.sh build/mxsniff
# and replace the section in man/mxsniff.8 with its output.
set -eu
mx=${1:-build/mxsniff}
echo ".Sh DETECTORS"
echo "Each failure pattern of the detection specification is one detector, a row"
echo "in a table; the list below is what"
echo ".Fl -list-detectors"
echo "prints."
echo "Select them with"
echo ".Fl -detectors"
echo "and"
echo ".Fl -no-detectors"
echo "by ID or pattern number."
echo ".Bl -tag -width Ds"
"$mx" --list-detectors | while IFS= read -r line; do
	case "$line" in
	"     emits: "*)
		emits=${line#"     emits: "}
		echo ".Pp"
		echo "Findings: $(echo "$emits" | sed 's/,/, /g')."
		;;
	*)
		num=$(echo "$line" | awk '{print $1}')
		id=$(echo "$line" | awk '{print $2}')
		summary=$(echo "$line" | sed 's/^[^ ]* *[^ ]* *//')
		echo ".It Sy $id Pq $num"
		echo "$summary"
		;;
	esac
done
echo ".El"
