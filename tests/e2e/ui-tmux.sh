#!/usr/bin/env bash
# ui-tmux.sh - the live view end to end: the real binary in tmux (issue 4).
#
# usage: ui-tmux.sh MXSNIFF [CAPTURE]
#   CAPTURE is relative to captures/ (default synthetic/mail-chain.pcap: a
#   resolved chain with an AAAA SERVFAIL and an NXDOMAIN domain).
#
# Runs "mxsniff --ui -r CAPTURE --speed max" in a detached tmux session on a
# private server (a socket in a temporary directory, no config) and drives it
# with send-keys: every view (1-6, Tab, Shift-Tab), a finding's and a chain's
# detail page, a filter, a sort, pause, write (the report file must exist and
# hold the report), help, a resize, and q; capture-pane is checked at each
# step by waiting for text (polling with a timeout, not fixed sleeps). After
# q the pane must show the exit status, the report path, and terminal modes
# restored (stty: icanon, echo). Further sessions check colours and NO_COLOR
# (no colour codes, reverse video instead), ^C and SIGTERM (clean exit,
# terminal restored), and characters outside ASCII: with LC_ALL=C the "§" of
# a finding's cause shows as its one-column stand-in '#', in a UTF-8 locale
# (when one is installed) as itself. JSON and NDJSON reports written with w
# carry "lookups_omitted" and a note (a snapshot keeps no lookups). Without
# a terminal: no escape sequences at all in report mode, and --ui fails
# cleanly. A replay at the recorded pace shows a chain still open ("open" in
# the Chains view, its detail page) until the input ends.
#
# Exit status 0 = pass, 1 = fail, 77 = skipped (no tmux), 2 = usage.
set -u

if [ $# -lt 1 ]; then
	echo "usage: $0 MXSNIFF [CAPTURE]" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$1
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
capture=$root/captures/${2:-synthetic/mail-chain.pcap}
command -v tmux >/dev/null 2>&1 || { echo "tmux not installed: skipped"; exit 77; }
[ -x "$bin" ] || { echo "FAIL: $bin is not executable"; exit 1; }
[ -r "$capture" ] || { echo "FAIL: $capture is not readable"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mx-ui.XXXXXX")
sock=$tmp/tmux.sock   # a private server, removed with $tmp
export LC_ALL=C TZ=UTC0

T() { tmux -S "$sock" -f /dev/null "$@"; }
cleanup() {
	T kill-server >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

cur=main   # the session the helpers talk to

screen() { T capture-pane -p -t "$cur" 2>/dev/null; }

fail() {
	echo "FAIL: $*"
	echo "---- screen of session $cur ----"
	screen
	echo "--------------------------------"
	exit 1
}

ok() { echo "ok: $*"; }

# wait_for TEXT [SECONDS]: until the screen shows TEXT (fixed string).
wait_for() {
	local text=$1 limit=${2:-15} i=0
	while [ "$i" -lt $((limit * 10)) ]; do
		screen | grep -qF -- "$text" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	fail "waited ${limit}s for \"$text\""
}

# wait_gone TEXT [SECONDS]: until the screen no longer shows TEXT.
wait_gone() {
	local text=$1 limit=${2:-15} i=0
	while [ "$i" -lt $((limit * 10)) ]; do
		screen | grep -qF -- "$text" || return 0
		sleep 0.1
		i=$((i + 1))
	done
	fail "waited ${limit}s for \"$text\" to go away"
}

# wait_line N TEXT: until screen row N (1-based) shows TEXT.
wait_line() {
	local n=$1 text=$2 i=0
	while [ "$i" -lt 150 ]; do
		screen | sed -n "${n}p" | grep -qF -- "$text" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	fail "waited 15s for \"$text\" on row $n"
}

key() { T send-keys -t "$cur" "$@"; }

# start NAME [VAR=VALUE...] [-- ARGS...]: mxsniff in a new 160x48 session
# (ARGS added to its command line); after it exits the pane shows
# EXIT=<status> and the terminal modes go to $tmp/stty.NAME.
start() {
	local name=$1 envs="" args=""
	shift
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do envs="$envs $1"; shift; done
	[ $# -gt 0 ] && shift
	[ $# -gt 0 ] && args=" $*"
	T new-session -d -s "$name" -x 160 -y 48 \
		"cd '$tmp' && env $envs '$bin' --ui -r '$capture' --speed max$args; echo EXIT=\$?; stty -a >'$tmp/stty.$name' 2>&1; sleep 600"
	cur=$name
}

# The terminal modes after the program ended: line mode and echo are back.
check_stty() {
	local f=$tmp/stty.$1 i=0
	while [ ! -s "$f" ] && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	[ -s "$f" ] || fail "no stty output after the exit"
	grep -qE '(^| )icanon( |$)' "$f" || fail "terminal left without icanon: $(cat "$f")"
	grep -qE '(^| )echo( |$)' "$f" || fail "terminal left without echo: $(cat "$f")"
}

# ---- 1. no terminal: report mode never touches curses ---------------------
"$bin" -r "$capture" >"$tmp/report.txt" 2>"$tmp/report.err" </dev/null
rc=$?
[ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "report mode: exit $rc"
[ -s "$tmp/report.txt" ] || fail "report mode: no report on stdout"
if grep -q $'\033' "$tmp/report.txt" "$tmp/report.err"; then
	fail "report mode wrote terminal escape sequences"
fi
ok "report mode (stdout not a terminal) writes the plain report"
if command -v setsid >/dev/null 2>&1; then
	setsid -w "$bin" --ui -r "$capture" >"$tmp/noterm.out" 2>"$tmp/noterm.err" </dev/null
	rc=$?
	[ "$rc" = 2 ] || fail "--ui without a terminal: exit $rc, expected 2 ($(cat "$tmp/noterm.err"))"
	grep -q -- '--ui' "$tmp/noterm.err" || fail "--ui without a terminal: no message naming --ui"
	[ ! -s "$tmp/noterm.out" ] || fail "--ui without a terminal wrote to stdout"
	ok "--ui without a terminal fails with one message"
fi

# ---- 2. the views -----------------------------------------------------------
start main
wait_for "END OF INPUT"
wait_for "speed max"
wait_for "packets "
wait_for "decode problems"
wait_for "evicted"
wait_for "drops"
wait_for "mail-chain.pcap"
wait_for "PATTERN"
wait_for "AAAA_SERVFAIL"
wait_for "row 1/"
ok "header and the Findings view"

key 2
wait_for "RESOLUTION"
wait_for "MX ok"
wait_for "AAAA SERVFAIL"
ok "Chains view"
key 3
wait_for "FALLBACK"
wait_for "192.0.2.10"
ok "Senders view"
key 4
wait_for "P95"
wait_for "198.51.100.53"
wait_for "SERVFAIL 1"
ok "Resolvers view"
key 5
wait_for "VERDICT"
wait_for "example.com."
ok "Domains view"
key 6
wait_for "LATENCY"
wait_for "mx1.example.com."
ok "Live view"
key Tab
wait_for "PATTERN"
key BTab
wait_for "LATENCY"
ok "Tab and Shift-Tab"

# ---- 3. details, filter, sort -------------------------------------------------
key 2
wait_for "RESOLUTION"
key End
key Enter
wait_for "Timeline"
wait_for "Exchanges"
key Escape
wait_for "RESOLUTION"
ok "a chain's detail page (timeline)"

key 1
wait_for "PATTERN"
key /
wait_for "Filter: "
key -l "AAAA_SERV"
wait_for "Filter: AAAA_SERV"
key Enter
wait_for "filter: AAAA_SERV"
wait_gone "MX_NXDOMAIN"
wait_for "row 1/1"
ok "filter"
key Enter
wait_for "Finding AAAA_SERVFAIL"
wait_for "cause"
wait_for "fix"
wait_for "Verify"
wait_for "dig "
# LC_ALL=C: the "§" of the cause has its one-column ASCII stand-in
wait_for "RFC 4074 #3 expects"
if screen | grep -qF "RFC 4074 ??"; then
	fail "a character outside ASCII shown as one '?' per byte"
fi
key Down
key Escape
wait_for "PATTERN"
ok "a finding's detail page (ASCII stand-in for a UTF-8 character)"
key Escape
wait_gone "filter: AAAA_SERV"
wait_for "MX_NXDOMAIN"
ok "Esc clears the filter"
key s
wait_for "sort: count"
key s
wait_for "sort: newest"
ok "sort"

# ---- 4. pause, write, help, resize ---------------------------------------------
key p
wait_for "PAUSED"
key p
wait_gone "PAUSED"
ok "pause"
key w
wait_for "report written to"
path=$(screen | sed -n 's/.*report written to \([^ ]*\).*/\1/p' | head -n 1)
[ -n "$path" ] || fail "no path on the status line"
case $path in /*) full=$path ;; *) full=$tmp/$path ;; esac
[ -s "$full" ] || fail "the report $path does not exist or is empty"
grep -q "example.com" "$full" || fail "the report $path does not mention example.com"
ok "w wrote $path"
key '?'
wait_for "write the current report"
key x
wait_gone "write the current report"
wait_for "PATTERN"
ok "help"
T resize-window -t main -x 100 -y 30
wait_line 30 "row "
wait_line 4 "PATTERN"
ok "resize to 100x30"
T resize-window -t main -x 160 -y 48
wait_line 48 "row "

# ---- 5. quit ----------------------------------------------------------------------
key q
wait_for "EXIT=0"
wait_for "report written to $path"
check_stty main
ok "q: clean exit, report path printed, terminal restored"

# ---- 6. colours, NO_COLOR, ^C and SIGTERM -----------------------------------------
start colour
wait_for "END OF INPUT"
wait_for "PATTERN"
T capture-pane -e -p -t colour >"$tmp/colour.ansi"
colour_re=$'\033\\[([0-9;]*;)?(3[0-7]|4[0-7]|9[0-7]|38;5;[0-9]+|48;5;[0-9]+)(;[0-9;]*)?m'
grep -qE "$colour_re" "$tmp/colour.ansi" || fail "no colours on a colour terminal"
ok "colours"
key C-c
wait_for "EXIT=0"
check_stty colour
ok "^C: clean exit, terminal restored"

start mono NO_COLOR=1
wait_for "END OF INPUT"
wait_for "PATTERN"
T capture-pane -e -p -t mono >"$tmp/mono.ansi"
if grep -qE "$colour_re" "$tmp/mono.ansi"; then
	fail "colour codes with NO_COLOR set"
fi
grep -q $'\033\\[[0-9;]*7[;m]' "$tmp/mono.ansi" || fail "no reverse video in monochrome"
ok "NO_COLOR: monochrome"
panepid=$(T list-panes -t mono -F '#{pane_pid}')
pid=$(pgrep -P "$panepid" | head -n 1)
[ -n "$pid" ] || fail "no mxsniff process under the pane"
kill -TERM "$pid"
wait_for "EXIT=0"
check_stty mono
ok "SIGTERM: clean exit, terminal restored"

# ---- 7. a UTF-8 locale: characters outside ASCII drawn as themselves ---------
utf8_loc=$(locale -a 2>/dev/null | grep -iE '^(C|en_US)\.utf-?8$' | head -n 1)
if [ -n "$utf8_loc" ]; then
	start utf8 LC_ALL="$utf8_loc"
	wait_for "END OF INPUT"
	wait_for "PATTERN"
	key /
	wait_for "Filter: "
	key -l "AAAA_SERV"
	key Enter
	wait_for "row 1/1"
	key Enter
	wait_for "Finding AAAA_SERVFAIL"
	wait_for "RFC 4074 §3 expects"
	if screen | grep -qF "RFC 4074 #3"; then
		fail "ASCII stand-in in a UTF-8 locale ($utf8_loc)"
	fi
	# one column per character: the text after the "§" is not shifted
	line=$(screen | grep -F "RFC 4074 §3 expects")
	case $line in *"§3 expects NOERROR with an empty"*) ;; *) fail "text around the § garbled: $line" ;; esac
	key q
	wait_for "EXIT=0"
	check_stty utf8
	ok "UTF-8 locale ($utf8_loc): the § of a finding drawn as itself"
else
	echo "note: no UTF-8 locale installed: the UTF-8 drawing is not checked"
fi

# ---- 8. JSON and NDJSON written from the view say what they lack ------------
for fmt in json ndjson; do
	start "w$fmt" -- -F "$fmt"
	wait_for "END OF INPUT"
	wait_for "PATTERN"
	key w
	wait_for "$fmt report written to"
	wpath=$(screen | sed -n 's/.*report written to \([^ ]*\).*/\1/p' | head -n 1)
	case $wpath in /*) wfull=$wpath ;; *) wfull=$tmp/$wpath ;; esac
	[ -s "$wfull" ] || fail "the $fmt report $wpath does not exist or is empty"
	grep -q '"lookups_omitted":[1-9]' "$wfull" || fail "$fmt from the view: no lookups_omitted"
	grep -q '"note":"written from a snapshot' "$wfull" || fail "$fmt from the view: no note"
	if [ "$fmt" = ndjson ]; then
		grep -q '^{"type":"chain",' "$wfull" || fail "ndjson from the view: no chain lines"
		if grep -q '^{"type":"lookup",' "$wfull"; then fail "ndjson from the view: lookup lines?"; fi
	else
		grep -q '^"chains":\[$' "$wfull" || fail "json from the view: no chains kept by the model"
	fi
	key q
	wait_for "EXIT=0"
	ok "$fmt written from the view: lookups_omitted and the note"
done
# the same format from a normal run streams every lookup and has no note
"$bin" -r "$capture" -F json -o "$tmp/plain.json" </dev/null >/dev/null 2>&1
grep -q '"lookups":\[$' "$tmp/plain.json" || fail "plain JSON: lookups array"
grep -q '^{"client":' "$tmp/plain.json" || fail "plain JSON: no lookup lines"
if grep -q 'lookups_omitted' "$tmp/plain.json"; then fail "plain JSON says lookups_omitted"; fi
ok "a report that streamed the lookups has no note"

# ---- 9. chains still open while a replay runs ------------------------------
# At the recorded pace (--speed 1 after the default --speed max) the 5 s
# capture holds example.com's chain open from its MX answer to the end
# (its window is 165 s): the Chains view lists it as "open" and its detail
# page says so; at the end of the input it closes and the page, still on
# it, shows its verdict.
start openc -- --speed 1
key 2
wait_for "RESOLUTION"
wait_for "example.com.               1 open" 5
key Home
key Enter
wait_for "Chain 192.0.2.10 -> example.com. (attempt 1, open)" 5
wait_for "still open: its window ends at" 5
wait_for "END OF INPUT" 15
wait_for "Chain 192.0.2.10 -> example.com. (attempt 1)"
wait_gone "still open"
wait_for "verdict    resolved"
key Escape
wait_for "RESOLUTION"
if screen | grep -qE '^[0-9:.]+ +[^ ]+ +[^ ]+ +[0-9]+ open '; then fail "an open chain after the end of the input"; fi
key q
wait_for "EXIT=0"
ok "open chains during a replay: listed \"open\", detail page, closed at the end"

echo "all live-view checks passed"
exit 0
