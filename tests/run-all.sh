#!/usr/bin/env bash
# run-all.sh - the whole test suite, as CI runs it (.ci/run calls this after
# installing what is missing).
#
# usage: tests/run-all.sh [STAGE...]     (default: all stages, in this order)
#   gcc       configure + build build/gcc   (gcc, -Werror), then ctest
#   clang     configure + build build/clang (clang, -Werror, and the libFuzzer
#             targets with their smoke runs: MXSNIFF_FUZZ=ON), then ctest
#   asan      configure + build build/asan  (clang, -Werror, ASan+UBSan), then ctest
#   valgrind  build/gcc/mxsniff -r X -F json under valgrind for every capture
#   mandoc    mandoc -T lint -W warning man/mxsniff.8 prints nothing
#
# Every stage runs even when an earlier one failed (a stage whose build failed
# counts its tests as failed, not skipped). Ends with "N passed, N failed"
# over the stages; exit status 0 when none failed, 1 otherwise.
# Build trees are reused (incremental); remove build/ for a clean run.
# Environment: MX_JOBS (default 2) parallel jobs for make and ctest;
# MX_ALLOW_SKIP=1 lets a stage pass with tests skipped (exit 77: not root, a
# tool missing), which otherwise fails it.
#
# It does not install anything: see README.md or .ci/run for the packages.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2
jobs=${MX_JOBS:-2}
stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=(gcc clang asan valgrind mandoc)

export LC_ALL=C
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

passed=0
failed=0
failed_names=()
t0=$SECONDS

stage_ok() {
	echo "== stage $1: ok ($(($SECONDS - st))s)"
	passed=$((passed + 1))
}
stage_fail() {
	echo "== stage $1: FAILED ($(($SECONDS - st))s)${2:+: $2}"
	failed=$((failed + 1))
	failed_names+=("$1")
}

# tree NAME CC [cmake args...]: configure, build, ctest one build tree.
tree() {
	local name=$1 cc=$2 dir=build/$1 log
	shift 2
	st=$SECONDS
	log=$dir.log
	mkdir -p build
	echo "== stage build-$name: $cc $*"
	if ! command -v "$cc" >/dev/null 2>&1; then
		stage_fail "build-$name" "$cc not installed"
		stage_fail "test-$name" "not built"
		return
	fi
	if cmake -S . -B "$dir" -DCMAKE_C_COMPILER="$cc" -DMXSNIFF_WERROR=ON "$@" >"$log" 2>&1 &&
		cmake --build "$dir" -j "$jobs" >>"$log" 2>&1; then
		stage_ok "build-$name"
	else
		tail -n 80 "$log"
		stage_fail "build-$name" "see $log"
		stage_fail "test-$name" "not built"
		return
	fi
	st=$SECONDS
	echo "== stage test-$name"
	local out=$dir.ctest.log skipped
	(cd "$dir" && ctest --output-on-failure -j "$jobs" --timeout 300) 2>&1 | tee "$out"
	local rc=${PIPESTATUS[0]}
	# a test that cannot run here (not root, a tool missing) exits 77 and
	# ctest reports it skipped: the suite does not pass with a check left out
	# (MX_ALLOW_SKIP=1 accepts that, e.g. as a user without root)
	skipped=$(grep -c '\*\*\*Skipped\|Not Run' "$out")
	if [ "$rc" -ne 0 ]; then
		stage_fail "test-$name"
	elif [ "$skipped" -gt 0 ] && [ "${MX_ALLOW_SKIP:-0}" != 1 ]; then
		grep '\*\*\*Skipped\|Not Run' "$out"
		stage_fail "test-$name" "$skipped tests skipped (run as root with the packages of README.md installed, or MX_ALLOW_SKIP=1)"
	else
		stage_ok "test-$name"
	fi
}

captures() {
	find captures -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) | sort
}

valgrind_stage() {
	local bin=build/gcc/mxsniff c rc n=0 bad=0 log
	st=$SECONDS
	echo "== stage valgrind"
	if ! command -v valgrind >/dev/null 2>&1; then
		stage_fail valgrind "valgrind not installed"
		return
	fi
	if [ ! -x "$bin" ]; then
		stage_fail valgrind "$bin not built (run the gcc stage)"
		return
	fi
	log=$(mktemp)
	for c in $(captures); do
		n=$((n + 1))
		# 99 = valgrind found an error; anything else is mxsniff's own
		# status (files meant to fail exit 2: their status and message are
		# checked by the e2e goldens).
		timeout 300 valgrind -q --error-exitcode=99 --leak-check=full \
			--errors-for-leak-kinds=definite,indirect,possible \
			"$bin" -r "$c" -F json -o /dev/null >"$log" 2>&1
		rc=$?
		case $rc in
		0 | 2) printf '   %-55s exit %d\n' "$c" "$rc" ;;
		*)
			bad=$((bad + 1))
			if [ $rc = 99 ]; then
				echo "   $c: valgrind reported errors:"
			elif [ $rc = 124 ]; then
				echo "   $c: timed out"
			else
				echo "   $c: exit $rc"
			fi
			head -n 60 "$log" | sed 's/^/      /'
			;;
		esac
	done
	rm -f "$log"
	if [ "$n" = 0 ]; then
		stage_fail valgrind "no captures found"
	elif [ "$bad" = 0 ]; then
		stage_ok valgrind
	else
		stage_fail valgrind "$bad of $n captures"
	fi
}

mandoc_stage() {
	local out
	st=$SECONDS
	echo "== stage mandoc"
	if ! command -v mandoc >/dev/null 2>&1; then
		stage_fail mandoc "mandoc not installed"
		return
	fi
	if out=$(mandoc -T lint -W warning man/mxsniff.8 2>&1) && [ -z "$out" ]; then
		stage_ok mandoc
	else
		printf '%s\n' "$out"
		stage_fail mandoc
	fi
}

for s in "${stages[@]}"; do
	case $s in
	gcc) tree gcc gcc ;;
	clang) tree clang clang -DMXSNIFF_FUZZ=ON ;;
	asan) tree asan clang -DMXSNIFF_SANITIZE=ON ;;
	valgrind) valgrind_stage ;;
	mandoc) mandoc_stage ;;
	*)
		echo "run-all.sh: unknown stage '$s' (gcc clang asan valgrind mandoc)" >&2
		exit 2
		;;
	esac
done

echo "== $((SECONDS - t0))s in all${failed_names[0]:+; failed: ${failed_names[*]}}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
