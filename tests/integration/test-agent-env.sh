#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The sandbox as an agent finds it (README "What a sandbox is", "Profiles"): its
# user exists by name (a generated, read-only /etc/passwd and /etc/group with
# root, that user and nobody, never the host's list), USER LOGNAME HOME SHELL
# TERM LANG LC_ALL TMPDIR are set, /var/tmp and HOME are writable, `dpkg -l`
# works where /usr is the host's, git commits with the profile's identity;
# every one of them set by the profile, in fresh mode and in a session. Run as
# root and rootless; prints TAP. Every wait is bounded.
source "$(dirname "$0")/lib.sh"

# The names /etc/passwd and /etc/group hold inside: only these.
only_own_accounts() {
	local f
	for f in passwd group; do
		sbx exec -- cut -d: -f1 "/etc/$f"
		expect_rc 0
		printf '%s\n' "$OUT" | grep -vqE '^(root|agent|nobody|nogroup)$' &&
			fail "/etc/$f lists other accounts: $OUT"
	done
	return 0
}

t_whoami_and_id_name_the_user() {
	sbx exec -- sh -c 'whoami; id -un; id -gn; getent passwd "$(id -u)" | cut -d: -f1,6,7'
	expect_rc 0
	expect_out "agent
agent
agent
agent:/workspace:/bin/sh"
	only_own_accounts
	# the runtime's own files: read-only, whatever /etc is
	sbx exec -- sh -c 'echo "x::0:0::/:/bin/sh" >> /etc/passwd'
	[ "$RC" != 0 ] || fail "/etc/passwd is writable inside"
	# a profile that binds no /etc gets them too
	write_profile p ""
	sbx exec --profile p.yaml -- sh -c 'whoami; cat /etc/group | cut -d: -f1 | head -n 2'
	expect_rc 0
	expect_out "agent
root
agent"
}

t_environment_a_shell_expects() {
	local v
	v=$(printf '%s=$%s;' USER USER LOGNAME LOGNAME HOME HOME SHELL SHELL TERM TERM LANG LANG \
		LC_ALL LC_ALL TMPDIR TMPDIR)
	sbx exec -- sh -c "echo \"$v\"; test -x \"\$SHELL\" && echo shell-runs"
	expect_rc 0
	expect_out "USER=agent;LOGNAME=agent;HOME=/workspace;SHELL=/bin/sh;TERM=dumb;LANG=C.UTF-8;LC_ALL=C.UTF-8;TMPDIR=/tmp;
shell-runs"
	# C.UTF-8 exists inside (Debian's libc has it at /usr/lib/locale/C.utf8)
	command -v locale >/dev/null || skip_test "no locale(1) on this host"
	locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$' ||
		skip_test "this host's libc has no C.UTF-8 locale"
	sbx exec -- locale charmap
	expect_rc 0
	expect_out UTF-8
	[ -z "$ERR" ] || fail "locale complained: $ERR"
}

t_home_and_var_tmp_are_writable_and_private() {
	local probe=/var/tmp/ag3-agent-env-probe.$$
	touch "$probe"
	sbx exec -- sh -c "touch /var/tmp/x \"\$HOME/x\" && ls -d /var/tmp/x \"\$HOME/x\" && \
		stat -c %a /var/tmp && test ! -e $probe && echo private"
	rm -f "$probe"
	expect_rc 0
	expect_out "/var/tmp/x
/workspace/x
1777
private"
	# nothing written there reaches the host
	[ ! -e /var/tmp/x ] || fail "/var/tmp/x appeared on the host"
}

t_dpkg_database_where_usr_is_the_hosts() {
	[ -r /var/lib/dpkg/status ] || skip_test "this host has no dpkg database (/var/lib/dpkg/status)"
	[ -x /usr/bin/dpkg-query ] || skip_test "this host has no dpkg-query"
	sbx exec -- sh -c 'dpkg -l | head -n 1; dpkg-query -W -f="\${Package}\n" libc6 | head -n 1'
	expect_rc 0
	expect_out_has '^Desired='
	expect_out_has '^libc6'
	sbx exec -- touch /var/lib/dpkg/x
	[ "$RC" != 0 ] || fail "/var/lib/dpkg is writable inside"
	# a profile can say no
	write_profile p "  dpkg_database: never"
	sbx exec --profile p.yaml -- ls /var/lib/dpkg
	[ "$RC" != 0 ] || fail "dpkg_database: never still shows /var/lib/dpkg: $OUT"
}

t_git_commit_with_the_profiles_identity() {
	command -v git >/dev/null || skip_test "no git on this host"
	local commit='cd /workspace && git init -q r && cd r && echo a > a && git add a &&
		git commit -q -m first && git log -1 --format="%an <%ae>|%cn <%ce>"'
	# the default: no identity, so git refuses as it does on a machine without one
	sbx exec -- sh -c "$commit"
	[ "$RC" != 0 ] || fail "git committed without an identity: $OUT"
	write_profile p '  user: {git_name: "Agent Smith", git_email: agent@example.org}'
	sbx exec --profile p.yaml -- sh -c "$commit"
	expect_rc 0
	expect_out "Agent Smith <agent@example.org>|Agent Smith <agent@example.org>"
}

t_profile_values_win() {
	local sh=/bin/sh
	[ -x /bin/bash ] && sh=/bin/bash
	write_profile p "  user: {name: \"{username}\", group: team, shell: $sh}
  environment: {lang: \"\", term: vt100, tmpdir: /workspace}
  var_tmp: false"
	sbx exec --profile p.yaml --user alice --session-id s1 -- sh -c \
		'whoami; id -gn; echo "$USER $LOGNAME $SHELL ${LANG-unset} ${LC_ALL-unset} $TERM $TMPDIR"; ls -d /var/tmp 2>/dev/null || echo no-var-tmp'
	expect_rc 0
	expect_out "alice
team
alice alice $sh unset unset vt100 /workspace
no-var-tmp"
	# a name the generated file cannot hold is refused at load, with where it is
	write_profile p '  user: {name: "a:b"}'
	sbx exec --profile p.yaml -- true
	expect_rc 125
	expect_err_has 'p\.yaml:[0-9]+:[0-9]+: .*sandbox\.user\.name'
	write_profile p '  user: {git_name: "x<y>"}'
	sbx lint p.yaml
	[ "$RC" != 0 ] || fail "lint accepted a git name with '<>'"
	printf '%s\n' "$OUT$ERR" | grep -q 'sandbox\.user\.git_name' || fail "lint: $OUT $ERR"
	# passwd: false: /etc as the profile gives it (none here), no USER
	write_profile p '  user: {passwd: false}'
	sbx exec --profile p.yaml -- sh -c 'echo "${USER-unset}"; test -e /etc/passwd || echo none'
	expect_rc 0
	expect_out "unset
none"
}

# TERM: the caller's when stdio is a terminal (through the sandbox's own pty), dumb
# otherwise, the profile's when it names one.
t_term_passed_through_on_a_terminal() {
	command -v script >/dev/null || skip_test "no script(1) to give exec a terminal"
	OUT=$(TERM=xterm-256color timeout 60 script -qec "$AG3 exec -- sh -c 'echo T=\$TERM'" \
		/dev/null </dev/null 2>&1 | tr -d '\r\0' | sed 's/\^@//g')
	printf '%s\n' "$OUT" | grep -qx 'T=xterm-256color' || fail "on a terminal: $OUT"
	sbx exec -- sh -c 'echo "T=$TERM"'
	expect_out T=dumb
	write_profile p '  environment: {term: vt100}'
	OUT=$(TERM=xterm-256color timeout 60 script -qec \
		"$AG3 exec --profile p.yaml -- sh -c 'echo T=\$TERM'" /dev/null </dev/null 2>&1 |
		tr -d '\r\0' | sed 's/\^@//g')
	printf '%s\n' "$OUT" | grep -qx 'T=vt100' || fail "the profile's term: $OUT"
	# a TERM that is not a name does not reach the command
	OUT=$(TERM='x;y' timeout 60 script -qec "$AG3 exec -- sh -c 'echo T=\$TERM'" \
		/dev/null </dev/null 2>&1 | tr -d '\r\0' | sed 's/\^@//g')
	printf '%s\n' "$OUT" | grep -qx 'T=dumb' || fail "a TERM with ';': $OUT"
}

t_session_commands_run_as_the_named_user() {
	local S=$SCRATCH/s.sock
	mkdir -p ws
	[ $MODE = rootless ] || chown 50001:50001 ws
	sbx session open --owner-pid $BASHPID --workspace "$PWD/ws" --socket "$S" \
		$([ $MODE = root ] && echo --uid 50001 --gid 50001)
	expect_rc 0
	local want=agent:$(id -u)
	[ $MODE = root ] && want=agent:50001
	for i in 1 2; do
		sbx exec --session "$S" -- sh -c 'echo "$(whoami):$(id -u)"; echo "$USER $HOME $LANG $TERM";
			touch /var/tmp/s'$i' "$HOME/s'$i'" && ls /var/tmp'
		expect_rc 0
		expect_out_has "^$want\$"
		expect_out_has '^agent /workspace C.UTF-8 dumb$'
	done
	# /var/tmp is the session's: the second command sees what the first left
	expect_out_has '^s1$'
	if command -v script >/dev/null; then
		OUT=$(TERM=screen timeout 60 script -qec "$AG3 exec --session $S -- sh -c 'echo T=\$TERM'" \
			/dev/null </dev/null 2>&1 | tr -d '\r\0' | sed 's/\^@//g')
		printf '%s\n' "$OUT" | grep -qx 'T=screen' || fail "session, on a terminal: $OUT"
	fi
	sbx session close "$S"
	expect_rc 0
}

# explain tells what the command gets: the environment with the key (and line) behind
# each variable, and /etc/passwd as the runtime's own file.
t_explain_shows_the_user_and_environment() {
	command -v python3 >/dev/null || skip_test "python3 is needed to read the JSON"
	write_profile p '  user: {name: bob, git_email: bob@example.org}
  environment: {term: vt100}'
	sbx explain --profile p.yaml --env
	expect_rc 0
	expect_out_has '^  USER=bob  \(sandbox\.user\.name, p\.yaml:11:10\)$'
	expect_out_has '^  GIT_COMMITTER_EMAIL=bob@example\.org  \(sandbox\.user\.git_email, p\.yaml:11:'
	expect_out_has '^  LANG=C\.UTF-8  \(sandbox\.environment\.lang, the default\)$'
	expect_out_has '^user: bob \(group agent, home /workspace, shell /bin/sh\)'
	sbx explain --profile p.yaml --env --json
	expect_rc 0
	printf '%s' "$OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)
env = {e["name"]: e for e in d["env"]}
assert env["TERM"]["value"] == "vt100" and env["TERM"]["line"] == 12, env["TERM"]
assert env["USER"]["from"] == "sandbox.user.name" and env["USER"]["file"] == "p.yaml"
assert d["term_from_caller"] is False
assert d["user"] == {"name": "bob", "group": "agent", "home": "/workspace", "shell": "/bin/sh"}, d["user"]
' || fail "explain --env --json: $OUT"
	sbx explain --profile p.yaml --json /etc/passwd
	expect_rc 0
	printf '%s' "$OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["state"] == "generated" and d["access"] == "ro" and d["user"]["name"] == "bob", d
' || fail "explain /etc/passwd: $OUT"
	sbx explain --profile p.yaml /etc/group
	expect_out_has "^/etc/group: the runtime's own file, read-only"
	sbx explain /var/tmp
	expect_out_has '^/var/tmp: a tmpfs, read-write$'
	expect_out_has 'from sandbox\.var_tmp'
}

run_test whoami_and_id_name_the_user t_whoami_and_id_name_the_user
run_test environment_a_shell_expects t_environment_a_shell_expects
run_test home_and_var_tmp_are_writable_and_private t_home_and_var_tmp_are_writable_and_private
run_test dpkg_database_where_usr_is_the_hosts t_dpkg_database_where_usr_is_the_hosts
run_test git_commit_with_the_profiles_identity t_git_commit_with_the_profiles_identity
run_test profile_values_win t_profile_values_win
run_test term_passed_through_on_a_terminal t_term_passed_through_on_a_terminal
run_test session_commands_run_as_the_named_user t_session_commands_run_as_the_named_user
run_test explain_shows_the_user_and_environment t_explain_shows_the_user_and_environment
finish
