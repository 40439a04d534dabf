#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Integration tests: the operator's configuration of the bwrap front end
# (policy/bwrap-config.c, tools/cli_bwrap_config.c; README "The operator's
# configuration"). Each layer is shown applied (a call the default seccomp list
# denies fails, limits and the timeout end the command, the record appears, a name
# outside the allowlist is refused), each error names file:line and the key, and a
# file that is not trusted is refused. Root mode and rootless mode.
source "$(dirname "$0")/lib.sh"

if [ $MODE = root ]; then
	IDS=(--unshare-user --uid 50000 --gid 50000)
else
	IDS=()
fi
SYSFILE=/etc/ag3ntum-sandbox/bwrap.yaml

# bwc CONFIG ARGS...: the front end with CONFIG as the operator's file (not through sudo).
bwc() {
	local cfg=$1 o e
	shift
	o=$(mktemp) e=$(mktemp)
	RC=0
	env -u SUDO_UID AG3NTUM_BWRAP_CONFIG="$cfg" "$AG3" bwrap "$@" >"$o" 2>"$e" </dev/null || RC=$?
	OUT=$(cat "$o")
	ERR=$(cat "$e")
	rm -f "$o" "$e"
}
# plain ARGS...: no operator file at all.
plain() {
	[ ! -e $SYSFILE ] || skip_test "$SYSFILE exists on this host: plain bwrap cannot be seen"
	RC=0
	OUT=$(env -u SUDO_UID -u AG3NTUM_BWRAP_CONFIG "$AG3" bwrap "$@" 2>&1 </dev/null) || RC=$?
	ERR=$OUT
}
# conf TEXT: writes c.yaml (mode 0644) and a record directory rec/.
conf() {
	printf '%s\n' "$1" >"$PWD/c.yaml"
	chmod 644 "$PWD/c.yaml"
	mkdir -p "$PWD/rec"
	chmod 755 "$PWD/rec"
}
# The one record in rec/ (and that there is exactly one).
record() {
	local n
	n=$(find "$PWD/rec" -name '*.json' | wc -l)
	[ "$n" = 1 ] || fail "expected one record in rec/, found $n: $(ls "$PWD/rec")"
	cat "$PWD"/rec/*.json
}
# json_get FILE-TEXT PYEXPR: evaluates PYEXPR over the record `r`.
json_get() {
	python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"
}

t_no_file_is_plain_bwrap() {
	plain "${IDS[@]}" --ro-bind / / sh -c 'unshare -U true && echo made-userns'
	expect_rc 0
	expect_out_has "^made-userns$"
}

t_seccomp_default_list() {
	conf "seccomp:
  default_list: true
result_dir: $PWD/rec"
	bwc "$PWD/c.yaml" "${IDS[@]}" --ro-bind / / sh -c 'unshare -U true || echo refused'
	expect_rc 0
	expect_out_has "^refused$"
	expect_err_has "unshare.*Operation not permitted"
	local r
	r=$(record)
	[ "$(json_get "$r" 'r["enforcement"]["seccomp"]')" = True ] || fail "record: $r"
	# plain bwrap: the same call works (t_no_file_is_plain_bwrap)
}

t_landlock() {
	conf "landlock:
  enabled: true
result_dir: $PWD/rec"
	bwc "$PWD/c.yaml" "${IDS[@]}" --ro-bind / / --tmpfs /tmp sh -c 'touch /tmp/x && echo ok'
	expect_rc 0
	expect_out ok
	local r abi
	r=$(record)
	abi=$(json_get "$r" 'r["enforcement"]["landlock_abi"]')
	if [ "$abi" = 0 ]; then
		printf '%s' "$r" | grep -q 'landlock: not available' ||
			fail "landlock not applied and not said: $r"
		printf '%s' "$ERR" | grep -q "^bwrap: warning: .*landlock: not available" ||
			fail "no warning for the missing layer: $ERR"
		skip_test "this kernel has no landlock (the record and stderr say so)"
	fi
	[ "$abi" -ge 1 ] || fail "landlock_abi: $abi"
	# without it, the record of the same run says 0
	printf 'result_dir: %s\n' "$PWD/rec2" >"$PWD/c2.yaml"
	mkdir "$PWD/rec2"
	bwc "$PWD/c2.yaml" "${IDS[@]}" --ro-bind / / true
	expect_rc 0
	r=$(cat "$PWD"/rec2/*.json)
	[ "$(json_get "$r" 'r["enforcement"]["landlock_abi"]')" = 0 ] || fail "plain: $r"
}

t_pids_and_memory_limits() {
	conf "limits:
  pids: 8
  memory: 64M
result_dir: $PWD/rec"
	bwc "$PWD/c.yaml" "${IDS[@]}" --ro-bind / / --dev /dev sh -c \
		'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 2 & done; wait; echo forked'
	local rc1=$RC err1=$ERR
	RC=$rc1 ERR=$err1 expect_err_has "(fork|Resource temporarily unavailable)"
	bwc "$PWD/c.yaml" "${IDS[@]}" --ro-bind / / python3 -c 'b = bytearray(256 << 20); print("allocated")'
	[ "$RC" != 0 ] || fail "256 MiB under a 64 MiB limit: rc 0, $OUT"
	printf '%s' "$OUT" | grep -q allocated && fail "allocated 256 MiB: $OUT"
	# both records are there: the second says how memory was bounded
	[ "$(find "$PWD/rec" -name '*.json' | wc -l)" = 2 ] || fail "records: $(ls "$PWD/rec")"
	plain "${IDS[@]}" --ro-bind / / python3 -c 'b = bytearray(256 << 20); print("allocated")'
	expect_rc 0
	expect_out allocated
}

t_timeout_kills() {
	conf "limits:
  timeout: 1
  kill_grace: 1
result_dir: $PWD/rec"
	local t0=$SECONDS
	bwc "$PWD/c.yaml" "${IDS[@]}" --ro-bind / / sleep 30
	[ $((SECONDS - t0)) -lt 10 ] || fail "the timeout did not end the command in time"
	expect_rc 143
	expect_err_has "^bwrap: timeout: the command ran longer than 1000 ms \(limits.timeout in .*c.yaml\) and was killed$"
	local r
	r=$(record)
	[ "$(json_get "$r" 'r["status"]')" = timeout ] || fail "record: $r"
}

t_record_fields() {
	conf "result_dir: $PWD/rec"
	bwc "$PWD/c.yaml" "${IDS[@]}" --ro-bind / / sh -c 'echo out; exit 7'
	expect_rc 7
	expect_out out
	local r
	r=$(record)
	[ "$(json_get "$r" 'r["status"], r["exit_code"], r["enforcement"]["no_new_privs"]')" = \
		"('exited', 7, True)" ] || fail "record: $r"
	if [ $MODE = root ]; then
		[ "$(json_get "$r" 'r["enforcement"]["uid"]')" = 50000 ] || fail "uid: $r"
	fi
	ls "$PWD"/rec/*.json | grep -qE '/[0-9]{8}T[0-9]{6}\.[0-9]{9}Z-[0-9]+\.json$' ||
		fail "record name: $(ls "$PWD/rec")"
	# a result_dir that is not there: refused before the command runs
	conf "result_dir: $PWD/nonexistent"
	bwc "$PWD/c.yaml" "${IDS[@]}" --ro-bind / / touch "$PWD/ran"
	expect_rc 1
	expect_err_has "^bwrap: .*c.yaml:1:13: result_dir: .*/nonexistent is not a directory$"
	[ ! -e "$PWD/ran" ] || fail "the command ran"
}

# --userns: the file is read before the namespace is joined (its owner as the host
# sees it), its layers apply in the joined one, and the record's mode is rootless:
# the front end holds capabilities only in that namespace, where even a root
# caller is not root (the first sandbox maps only its own ids).
t_layers_in_a_joined_userns() {
	conf "seccomp:
  default_list: true
result_dir: $PWD/rec"
	mkfifo -m 666 done
	local first=(--unshare-user) second=()
	[ $MODE = root ] && first=("${IDS[@]}") second=(--uid 50000 --gid 50000)
	"$AG3" bwrap --info-fd 42 "${first[@]}" --ro-bind / / sh -c "cat <$PWD/done" \
		42>info.json </dev/null >/dev/null 2>&1 &
	local pid
	pid=$(info_child_pid info.json) || { echo end >done; wait; fail "the first sandbox did not start"; }
	bwc "$PWD/c.yaml" --userns 11 "${second[@]}" --ro-bind / / \
		sh -c 'grep "^Seccomp:" /proc/self/status; readlink /proc/self/ns/user' \
		11</proc/$pid/ns/user
	local ns
	ns=$(readlink /proc/$pid/ns/user)
	echo end >done
	wait
	expect_rc 0
	expect_out "$(printf 'Seccomp:\t2\n%s' "$ns")"
	local r
	r=$(record)
	[ "$(json_get "$r" 'r["enforcement"]["mode"], r["enforcement"]["seccomp"]')" = \
		"('rootless', True)" ] || fail "record: $r"
	# the command is in a user namespace (joined, not made): its ids are that one's
	[ "$(json_get "$r" '"user" in r["enforcement"]["namespaces"]')" = True ] ||
		fail "no user namespace in the record: $r"
}

t_network_allowlist() {
	conf "network:
  mode: allowlist
  allowed_domains: [allowed.example]
result_dir: $PWD/rec"
	# the argv shares the network: the operator's allowlist applies
	bwc "$PWD/c.yaml" "${IDS[@]}" --ro-bind / / sh -c 'getent hosts denied.example || echo refused'
	expect_rc 0
	expect_out refused
	local r
	r=$(record)
	[ "$(json_get "$r" '[(e["name"], e["reason"]) for e in r["network"]["events"]]')" = \
		"[('denied.example', 'not_allowed')]" ] || fail "events: $r"
	json_get "$r" 'r["enforcement"]["namespaces"]' | grep -q "'net'" || fail "no net ns: $r"
	# --unshare-net stays no network at all (no relay)
	rm -f "$PWD"/rec/*.json
	bwc "$PWD/c.yaml" "${IDS[@]}" --unshare-net --ro-bind / / true
	expect_rc 0
	r=$(record)
	[ "$(json_get "$r" '"network" in r')" = False ] || fail "--unshare-net got the relay: $r"
	# mode: none
	conf "network:
  mode: none
result_dir: $PWD/rec"
	rm -f "$PWD"/rec/*.json
	bwc "$PWD/c.yaml" "${IDS[@]}" --ro-bind / / true
	expect_rc 0
	r=$(record)
	json_get "$r" 'r["enforcement"]["namespaces"]' | grep -q "'net'" || fail "mode none: $r"
}

# Each error: exit 1, "bwrap: FILE:LINE:COL: key: why", and nothing run.
t_errors_name_file_line_key() {
	local -a cases=(
		$'limits:\n  memroy: 1G'
		"c.yaml:2:3: limits: unknown key 'memroy' \\(did you mean 'memory'\\?\\)$"
		$'limits:\n  pids: lots'
		"c.yaml:2:9: limits.pids: expected an integer or 'unlimited', got 'lots'$"
		$'limits:\n  timeout: -1'
		"c.yaml:2:12: limits.timeout: -1 is out of range$"
		$'seccomp:\n  action: kill'
		"c.yaml:2:3: seccomp.action: has no effect without seccomp.default_list: true"
		$'network:\n  allowed_domains: [a.example]'
		"c.yaml:2:3: network: missing required key 'mode'"
		$'network:\n  mode: none\n  allowed_domains: [a.example]'
		"c.yaml:3:3: network.allowed_domains: is only for network.mode: allowlist"
		$'network:\n  mode: allowlist\n  allowed_domains: ["http://x"]'
		"c.yaml:3:21: network.allowed_domains\[0\]: 'http://x'"
		$'landlock: yes'
		"c.yaml:1:11: landlock: expected a mapping, got 'yes'$"
		$'result_dir: rec'
		"c.yaml:1:13: result_dir: expected an absolute path"
		$'bogus: 1'
		"c.yaml:1:1: unknown top-level key 'bogus'"
		$'network:\n  mode: allowlist\n  localhost_ports: [8080]'
		"c.yaml:3:3: network.localhost_ports: listed, but network.allow_localhost is not true$"
	)
	local i
	for ((i = 0; i < ${#cases[@]}; i += 2)); do
		printf '%s\n' "${cases[i]}" >"$PWD/c.yaml"
		chmod 644 "$PWD/c.yaml"
		bwc "$PWD/c.yaml" "${IDS[@]}" --ro-bind / / touch "$PWD/ran"
		expect_rc 1
		printf '%s' "$ERR" | grep -qE -- "^bwrap: $PWD/${cases[i + 1]}" ||
			fail "case $((i / 2)): stderr lacks /^bwrap: $PWD/${cases[i + 1]}/: $ERR"
		[ ! -e "$PWD/ran" ] || fail "case $((i / 2)): the command ran"
	done
}

t_trust_and_sudo() {
	conf "result_dir: $PWD/rec"
	# group- or world-writable: refused
	chmod 664 "$PWD/c.yaml"
	bwc "$PWD/c.yaml" "${IDS[@]}" --ro-bind / / true
	expect_rc 1
	expect_err_has "^bwrap: .*c.yaml: refused: writable by group or others \(mode 0664\)$"
	chmod 644 "$PWD/c.yaml"
	# in a directory others may write (not sticky): refused
	mkdir "$PWD/open"
	cp "$PWD/c.yaml" "$PWD/open/c.yaml"
	chmod 777 "$PWD/open"
	bwc "$PWD/open/c.yaml" "${IDS[@]}" --ro-bind / / true
	expect_rc 1
	expect_err_has "refused: the directory .*/open is writable by group or others"
	chmod 755 "$PWD/open"
	# a name that is no file: refused, never plain bwrap
	bwc "$PWD/nonexistent.yaml" "${IDS[@]}" --ro-bind / / true
	expect_rc 1
	expect_err_has "^bwrap: .*nonexistent.yaml: AG3NTUM_BWRAP_CONFIG names no file$"
	# a caller who came through sudo cannot name another file
	RC=0
	ERR=$(SUDO_UID=1000 AG3NTUM_BWRAP_CONFIG="$PWD/c.yaml" "$AG3" bwrap "${IDS[@]}" \
		--ro-bind / / true 2>&1) || RC=$?
	expect_rc 1
	expect_err_has "^bwrap: AG3NTUM_BWRAP_CONFIG is refused for a caller who came through sudo"
	if [ $MODE = root ]; then
		# root trusts only root's file
		chown 65534 "$PWD/c.yaml"
		bwc "$PWD/c.yaml" "${IDS[@]}" --ro-bind / / true
		expect_rc 1
		expect_err_has "c.yaml: refused: owned by uid 65534, not root"
		chown 0 "$PWD/c.yaml"
	else
		# rootless: the caller's own file is fine (it constrains only the caller)
		bwc "$PWD/c.yaml" --ro-bind / / true
		expect_rc 0
	fi
}

# The system-wide file, as an operator installs it (root mode; removed after).
t_system_file() {
	[ $MODE = root ] || skip_test "root mode only (writes $SYSFILE)"
	[ ! -e $SYSFILE ] || skip_test "$SYSFILE exists on this host: not touched"
	MADE_DIR=0
	[ -d /etc/ag3ntum-sandbox ] || MADE_DIR=1
	trap 'rm -f $SYSFILE; [ $MADE_DIR = 0 ] || rmdir /etc/ag3ntum-sandbox' EXIT
	mkdir -p /etc/ag3ntum-sandbox
	conf "seccomp:
  default_list: true
result_dir: $PWD/rec"
	install -m 644 -o 0 -g 0 "$PWD/c.yaml" $SYSFILE
	RC=0
	OUT=$(env -u SUDO_UID -u AG3NTUM_BWRAP_CONFIG "$AG3" bwrap "${IDS[@]}" --ro-bind / / --dev /dev \
		sh -c 'unshare -U true 2>/dev/null || echo refused' 2>&1) || RC=$?
	ERR=$OUT
	expect_rc 0
	expect_out refused
	record >/dev/null
	# a sudo caller gets it too, and cannot swap it
	RC=0
	OUT=$(SUDO_UID=1000 "$AG3" bwrap "${IDS[@]}" --ro-bind / / --dev /dev \
		sh -c 'unshare -U true 2>/dev/null || echo refused' 2>&1) || RC=$?
	expect_rc 0
	expect_out refused
}

for t in $(declare -F | awk '{print $3}' | grep '^t_'); do
	run_test "${t#t_}" "$t"
done
finish
