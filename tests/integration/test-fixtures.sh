#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Integration tests: the platform's own profiles (v-48de794, v-4b187e8, v-92aa603) with
# their external-mounts examples really running under `exec --profile`.
#
# The host paths the fixtures name (/usr ... /users/alice/..., /data/...,
# /home/{username}/...) are built under a scratch directory and the sandbox
# binds them from there with --host-root: system directories are symlinks to
# the real ones, the rest are real directories with marker files. Then
# ls/cat/touch inside check that each mount is there with the right mode, that
# /mounts shows only what the user is authorized for (alice, bob), and that
# original paths are visible at their original location. Runs in root mode
# and rootless mode (run-rootless.sh).
source "$(dirname "$0")/lib.sh"
FIX=${AG3_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}/../shared/fixtures/ag3ntum
[ -d "$FIX" ] || FIX=$(cd "$(dirname "$0")/../../../shared/fixtures/ag3ntum" 2>/dev/null && pwd)
SID=20260127_101500_1a2b3c4d

# The fixtures must be readable by whoever runs this (rootless: the test user).
[ -r "$FIX/v-48de794/permissions.yaml" ] || skip_all "fixtures not readable at $FIX"

# Builds the fake host under $PWD/host; prints nothing. $1..: extra users.
make_host() {
	H=$PWD/host
	mkdir -p "$H"
	# system directories: the real ones, the way this host has them
	local d
	for d in usr bin sbin lib lib64 etc; do
		if [ -L "/$d" ]; then
			ln -s "$(readlink "/$d")" "$H/$d"
		elif [ -e "/$d" ]; then
			ln -s "/$d" "$H/$d"
		fi
	done
	mkdir -p "$H/skills" "$H/srv/ssl"
	local u
	for u in alice bob; do
		mkdir -p "$H/users/$u/sessions/$SID/workspace" "$H/users/$u/venv" \
			"$H/users/$u/.claude/skills" "$H/users/$u/ag3ntum/persistent" \
			"$H/home/$u/data" "$H/home/$u/workspace"
		echo "$u" >"$H/home/$u/data/owner"
		echo "$u" >"$H/users/$u/ag3ntum/persistent/owner"
	done
	mkdir -p "$H/data/ml-datasets" "$H/data/shared-output" "$H/var/log/app" \
		"$H/var/log/nginx" "$H/projects/main-repo" "$H/mounts/ro/leak" "$H/mounts/rw"
	echo datasets >"$H/data/ml-datasets/README"
	echo nginx >"$H/var/log/nginx/access.log"
	echo leak >"$H/mounts/ro/leak/secret"
	# root mode runs the command as 50001: the rw places must be its own
	if [ $MODE = root ]; then
		chown -R 50001:50001 "$H/users" "$H/home" "$H/data/shared-output"
	fi
}

# exec with a fixture profile, for a user, in the fake host.
fx() {
	local profile=$1 mounts=$2 user=$3
	shift 3
	sbx exec --profile "$profile" ${mounts:+--mounts "$mounts"} --host-root "$H" \
		--user "$user" --session $SID --uid 50001 --gid 50001 "$@"
}

HEAD_P=$FIX/v-48de794/permissions.yaml
HEAD_M=$FIX/v-48de794/external-mounts.yaml.example
NEW_P=$FIX/v-92aa603/permissions.yaml
NEW_M=$FIX/v-92aa603/external-mounts.yaml.example

# /mounts holds exactly the names the user is authorized for (alice and bob:
# the same names from the example, each with their own user-data).
check_names() {
	local p=$1 m=$2 u
	for u in alice bob; do
		fx "$p" "$m" $u -- sh -c 'ls /mounts | tr "\n" " "; cat /mounts/user-data/owner'
		expect_rc 0
		# reference-docs is optional and missing; admin-logs and shared-project are
		# for other users; the HEAD profile's /mounts/ro bind is under the mask
		expect_out "datasets shared-output user-data workspace $u"
	done
}

# The intermediate profile (v-4b187e8) runs too. It binds the host's whole /mounts
# (lint AG3L046: every user's mounts): without an external-mounts file that is what
# the sandbox shows, as the profile says; with one, the /mounts mask hides it and
# only the user's authorized mounts are there.
t_intermediate_profile_runs() {
	make_host
	local mid=$FIX/v-4b187e8/permissions.yaml
	fx "$mid" "" alice -- sh -c 'pwd; cat /mounts/ro/leak/secret; touch /mounts/x 2>/dev/null || echo ro'
	expect_rc 0
	expect_out "/workspace
leak
ro"
	fx "$mid" "$NEW_M" alice -- sh -c 'ls /mounts | tr "\n" " "; test -e /mounts/ro && echo LEAK; true'
	expect_rc 0
	expect_out "datasets shared-output user-data workspace "
}

t_head_mounts_names_per_user() {
	make_host
	check_names "$HEAD_P" "$HEAD_M"
}

t_newer_mounts_names_per_user() {
	make_host
	check_names "$NEW_P" "$NEW_M"
}

# ro mounts refuse writes, rw accept, at /mounts/<name> and at the original path.
check_modes() {
	local p=$1 m=$2
	fx "$p" "$m" alice -- sh -c '
		for f in /mounts/datasets /data/ml-datasets /mounts/user-data /home/alice/data \
			/mounts/shared-output /data/shared-output /mounts/workspace \
			/home/alice/workspace /workspace /users/alice/ag3ntum/persistent /persistent; do
			if touch "$f/t.$$" 2>/dev/null; then echo "$f rw"; rm -f "$f/t.$$"; else echo "$f ro"; fi
		done
		if touch /mounts/new 2>/dev/null; then echo "/mounts writable"; fi
		cat /data/ml-datasets/README /mounts/datasets/README /users/alice/ag3ntum/persistent/owner'
	expect_rc 0
	expect_out "/mounts/datasets ro
/data/ml-datasets ro
/mounts/user-data ro
/home/alice/data ro
/mounts/shared-output rw
/data/shared-output rw
/mounts/workspace rw
/home/alice/workspace rw
/workspace rw
/users/alice/ag3ntum/persistent rw
/persistent rw
datasets
datasets
alice"
}

t_head_modes_and_original_paths() {
	make_host
	check_modes "$HEAD_P" "$HEAD_M"
}

t_newer_modes_and_original_paths() {
	make_host
	check_modes "$NEW_P" "$NEW_M"
}

t_writes_land_on_the_host() {
	make_host
	fx "$NEW_P" "$NEW_M" alice -- sh -c 'echo out > /mounts/shared-output/r1; echo orig > /data/shared-output/r2'
	expect_rc 0
	[ "$(cat "$H/data/shared-output/r1")" = out ] || fail "r1 not on the host"
	[ "$(cat "$H/data/shared-output/r2")" = orig ] || fail "r2 not on the host"
}

t_other_users_paths_are_not_there() {
	make_host
	fx "$NEW_P" "$NEW_M" bob -- sh -c 'ls /users; ls /home; cat /home/bob/data/owner; ls /mounts/ro 2>&1 || true'
	expect_rc 0
	expect_out "bob
bob
bob
ls: cannot access '/mounts/ro': No such file or directory"
}

# A config of our own: a per_user mount for alice only, original paths, a dynamic
# base. (Bind sources must be symlink-free, so `conf` is a real directory of the
# fake host, not /etc/ssl through its /etc symlink; the skip of a reserved
# original-path exposure is covered by tests/unit/test-mounts-config.c.)
write_own_mounts() {
	cat >"$PWD/own.yaml" <<EOF
global:
  ro:
    - {name: conf, host_path: /srv/ssl, optional: true}
per_user:
  rw:
    - {name: alice-only, host_path: /projects/main-repo, users: [alice]}
original_paths:
  ro:
    - path: /var/log/nginx
  rw:
    - {path: /var/log/app, allowed_users: [bob]}
dynamic:
  enabled: true
  security: {max_mounts_per_session: 2, global_blocked_subpaths: ["*.key"]}
  bases:
    - name: logs
      host_path: /var/log
      max_mode: ro
      authorization: {mode: allowlist, allowed_users: [alice]}
EOF
}

t_own_config_authorization() {
	make_host
	write_own_mounts
	fx "$NEW_P" "$PWD/own.yaml" alice -- sh -c 'ls /mounts | tr "\n" " "; cat /var/log/nginx/access.log; ls -d /var/log/app 2>/dev/null; ls /etc/ssl >/dev/null && echo etc-ssl'
	expect_rc 0
	expect_out "alice-only conf nginx
etc-ssl"
	[ $MODE = root ] && chown -R 50001:50001 "$H/var/log/app"
	fx "$NEW_P" "$PWD/own.yaml" bob -- sh -c 'ls /mounts | tr "\n" " "; touch /var/log/app/b && echo app-rw; touch /var/log/nginx/b 2>/dev/null || echo nginx-ro'
	expect_rc 0
	expect_out "conf app-rw
nginx-ro"
}

t_dynamic_request() {
	make_host
	write_own_mounts
	[ $MODE = root ] && chown -R 50001:50001 "$H/var/log/app"
	fx "$NEW_P" "$PWD/own.yaml" alice --dynamic logs/nginx --dynamic logs/app=applogs -- \
		sh -c 'ls /mounts | tr "\n" " "; cat /mounts/logs/nginx/access.log; ls /mounts/applogs/app; touch /mounts/logs/nginx/x 2>/dev/null || echo ro'
	expect_rc 0
	expect_out "alice-only applogs conf logs nginx
ro"
	fx "$NEW_P" "$PWD/own.yaml" bob --dynamic logs/nginx -- true
	expect_rc 125
	expect_err_has "--dynamic logs/nginx: NOT_AUTHORIZED"
	fx "$NEW_P" "$PWD/own.yaml" alice --dynamic logs/nginx:rw -- true
	expect_rc 125
	expect_err_has "MODE_EXCEEDS_MAX"
	fx "$NEW_P" "$PWD/own.yaml" alice --dynamic logs/app/x.key -- true
	expect_rc 125
	expect_err_has "GLOBAL_BLOCKED"
	ln -s /etc "$H/var/log/out"
	fx "$NEW_P" "$PWD/own.yaml" alice --dynamic logs/out -- true
	expect_rc 125
	expect_err_has "--dynamic logs/out: SYMLINK_IN_PATH"
}

# Issue 7: the platform's user-home example (hidden entries blocked, .ssh blocked
# globally). A first sandbox with user-home/projects:rw plants links to ../.ssh and
# ..; a later request for them must be refused, not bind the host's .ssh (or the
# whole home) read-write. A link swapped in after compile is refused at exec.
write_home_mounts() {
	cat >"$PWD/home.yaml" <<'EOF'
dynamic:
  enabled: true
  security: {global_blocked_subpaths: [".ssh", ".gnupg", ".aws", "*.key", "*_rsa"]}
  bases:
    - name: user-home
      host_path: /home/{username}
      max_mode: rw
      authorization: {mode: self_only}
      subpath_restrictions: {mode: blocklist, blocked: [".*"], exceptions: [".local/share/myapp"]}
      optional: true
EOF
}

t_dynamic_symlink_planted_by_the_agent() {
	make_host
	write_home_mounts
	mkdir -p "$H/home/alice/.ssh" "$H/home/alice/projects/ok"
	echo host-key >"$H/home/alice/.ssh/authorized_keys"
	[ $MODE = root ] && chown -R 50001:50001 "$H/home/alice"
	fx "$NEW_P" "$PWD/home.yaml" alice --dynamic user-home/.ssh:rw -- true
	expect_rc 125
	expect_err_has "GLOBAL_BLOCKED"
	# the first sandbox plants the links through its rw mount
	fx "$NEW_P" "$PWD/home.yaml" alice --dynamic user-home/projects:rw -- \
		sh -c 'cd /mounts/user-home/projects && ln -s ../.ssh s && ln -s .. r && echo planted'
	expect_rc 0
	expect_out planted
	[ -L "$H/home/alice/projects/s" ] || fail "the link was not planted on the host"
	local req
	for req in projects/s projects/r projects/r/data; do
		fx "$NEW_P" "$PWD/home.yaml" alice --dynamic user-home/$req:rw -- \
			sh -c 'cat /mounts/user-home/projects/*/authorized_keys /mounts/user-home/projects/*/.ssh/authorized_keys 2>/dev/null; echo RAN'
		expect_rc 125
		[ -z "$OUT" ] || fail "user-home/$req was bound: $OUT"
		expect_err_has "--dynamic user-home/$req:rw: SYMLINK_IN_PATH: '/home/alice/$req' goes through a symlink"
	done
	# checked at compile, then swapped for a link before exec: refused at exec
	sbx compile --profile "$NEW_P" --mounts "$PWD/home.yaml" --host-root "$H" --user alice \
		--session $SID --uid 50001 --gid 50001 --dynamic user-home/projects/ok:rw -o "$PWD/spec.json"
	expect_rc 0
	fx "$NEW_P" "$PWD/home.yaml" alice --dynamic user-home/projects:rw -- \
		sh -c 'cd /mounts/user-home/projects && rmdir ok && ln -s ../.ssh ok'
	expect_rc 0
	sbx exec --spec "$PWD/spec.json" -- sh -c 'echo pwned >>/mounts/user-home/projects/ok/authorized_keys; echo RAN'
	expect_rc 125
	[ -z "$OUT" ] || fail "ran with the swapped link: $OUT"
	expect_err_has "symlink"
	[ "$(cat "$H/home/alice/.ssh/authorized_keys")" = host-key ] || fail "authorized_keys changed"
}

t_secrets_from_files() {
	make_host
	printf 'anthropic_api_key: sk-ant-API\nsandboxed_envs:\n  OPENAI_API_KEY: sk-global\n  KEEP: g\n' >"$PWD/global.yaml"
	printf 'sandboxed_envs:\n  OPENAI_API_KEY: sk-alice\n  KEEP: ""\n' >"$PWD/user.yaml"
	fx "$NEW_P" "$NEW_M" alice --secrets "$PWD/global.yaml" --secrets "$PWD/user.yaml" -- \
		sh -c 'echo "$OPENAI_API_KEY $KEEP ${anthropic_api_key:-none}"; cat /proc/[0-9]*/cmdline 2>/dev/null | tr "\0" " " | grep -c "sk-[a]lice" || true'
	expect_rc 0
	expect_out "sk-alice g none
0"
	# compile never prints them without --reveal-secrets
	sbx compile --profile "$NEW_P" --host-root "$H" --secrets "$PWD/global.yaml" --user alice --session $SID
	expect_rc 0
	printf '%s' "$OUT" | grep -q sk-global && fail "compile printed a secret"
	expect_out_has '"<redacted>"'
	printf 'sandboxed_envs:\n  BAD-NAME: x\n' >"$PWD/bad.yaml"
	sbx compile --profile "$NEW_P" --secrets "$PWD/bad.yaml"
	expect_rc 2
	expect_err_has "bad.yaml:2:3: sandboxed_envs.BAD-NAME: not a valid environment variable name"
}

t_missing_required_mount_fails_closed() {
	make_host
	rm -rf "$H/data/ml-datasets"
	fx "$NEW_P" "$NEW_M" alice -- true
	expect_rc 125
	expect_err_has "external-mounts.yaml.example:[0-9]+:[0-9]+: global.ro\[0\] \(datasets\).host_path: '/data/ml-datasets' does not exist"
}

t_uid_policy() {
	make_host
	fx "$NEW_P" "$NEW_M" alice --uid 1000 -- true
	expect_rc 125
	expect_err_has "identity.uid: 1000 is outside the isolated range"
	fx "$NEW_P" "$NEW_M" alice --uid 45045 --uid-mode any -- true
	expect_rc 125
	expect_err_has "API's own uid"
	fx "$NEW_P" "$NEW_M" alice --uid 50002 --gid 50002 --api-uid 50002 -- true
	expect_rc 125
	expect_err_has "identity.uid: 50002 is the API's own uid"
}

t_cli_option_errors() {
	make_host
	sbx compile --dynamic logs
	expect_rc 2
	expect_err_has "--dynamic needs --mounts"
	sbx compile --mounts "$NEW_M" --host-root "$H" --user alice --dynamic 'logs:rx'
	expect_rc 2
	expect_err_has "the mode after ':' must be ro or rw"
	sbx compile --uid-mode strict
	expect_rc 2
	expect_err_has "--uid-mode: 'strict' is not isolated, direct or any"
	sbx compile --api-uid x
	expect_rc 2
	expect_err_has "--api-uid: 'x' is not a number"
	sbx compile --host-root relative/dir
	expect_rc 2
	expect_err_has "--host-root: 'relative/dir' is not an absolute path"
	sbx compile --mounts "$PWD/none.yaml"
	expect_rc 2
	expect_err_has "none.yaml: cannot open the mounts config"
	printf 'global:\n  ro:\n    - {name: a, host_pth: /x/y}\n' >"$PWD/typo.yaml"
	sbx compile --mounts "$PWD/typo.yaml"
	expect_rc 2
	expect_err_has "typo.yaml:3:17: global.ro\[0\]: unknown key 'host_pth' \(did you mean 'host_path'\?\)"
	# a saved spec: its ids go through the policy at exec time too
	sbx compile --profile "$NEW_P" --mounts "$NEW_M" --host-root "$H" --user alice --session $SID \
		--uid 1000 --gid 1000 --uid-mode direct -o "$PWD/spec.json"
	expect_rc 0
	sbx exec --spec "$PWD/spec.json" -- true
	expect_rc 125
	expect_err_has "identity.uid: 1000 is outside the isolated range"
	sbx exec --spec "$PWD/spec.json" --uid-mode direct -- sh -c 'ls /mounts | tr "\n" " "'
	expect_rc 0
	expect_out "datasets shared-output user-data workspace "
	sbx exec --spec "$PWD/spec.json" --mounts "$NEW_M" -- true
	expect_rc 125
	expect_err_has "--spec is already compiled: --mounts"
}

# The fixtures' network (enabled: true, allowed_domains: [], allow_localhost: true) is
# enforced as README "Network" maps it: none. Only lo; the host's localhost services
# (a listener this test starts) are not reachable, allow_localhost forwards nothing,
# and no address outside has a route.
t_network_settings_enforced() {
	make_host
	python3 -c 'import socket,sys,time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True); time.sleep(60)' >"$PWD/port" 2>/dev/null &
	local lpid=$! port="" i
	trap "kill $lpid 2>/dev/null || true" EXIT
	for i in $(seq 50); do
		port=$(cat "$PWD/port" 2>/dev/null || true)
		[ -n "$port" ] && break
		sleep 0.1
	done
	[ -n "$port" ] || fail "the host listener did not start"
	local p
	for p in "$HEAD_P" "$FIX/v-4b187e8/permissions.yaml" "$NEW_P"; do
		fx "$p" "" alice -- python3 -c 'import socket, errno
print(" ".join(n for _, n in socket.if_nameindex()))
for addr in [("127.0.0.1", '"$port"'), ("198.51.100.1", 80)]:
    s = socket.socket(); s.settimeout(3)
    try:
        s.connect(addr); print("REACHED", addr)
    except OSError as e:
        print(errno.errorcode.get(e.errno, e.errno))'
		expect_rc 0
		expect_out "lo
ECONNREFUSED
ENETUNREACH"
	done
	kill "$lpid" 2>/dev/null || true
	wait "$lpid" 2>/dev/null || true
}

for t in $(declare -F | awk '{print $3}' | grep '^t_'); do
	run_test "${t#t_}" "$t"
done
finish
