# SPDX-License-Identifier: MIT
# bash completion for ag3ntum-sandbox: the commands, each command's options (the
# lists match `ag3ntum-sandbox CMD --help`: tests/integration/test-cli-ops.sh
# checks it), files for FILE arguments, directories for DIR ones, the values of
# the options that take a fixed set, and the command after `--`.
# Installed as share/bash-completion/completions/ag3ntum-sandbox.

_ag3ntum_sandbox_commands="exec session compile lint explain check resolve serve bwrap doctor help"

# The profile-and-session options every command that compiles a profile takes.
_ag3ntum_sandbox_source="--profile --spec --workspace --uid --gid --user --session-id --session
	--agent-dir --sessions-dir --session-dir --config-dir --skills-dir --logs-dir --data-dir
	--mounts --dynamic --secrets --uid-mode --api-uid --host-root"

_ag3ntum_sandbox_options() {
	local s=$_ag3ntum_sandbox_source
	case $1 in
	exec) echo "$s --timeout --result --json --json-fd --network-log --no-die-with-parent
		--parent-pid --capture --help" ;;
	session) echo "$s --socket --foreground --owner-pid --json --help" ;;
	compile) echo "$s --compact --reveal-secrets --output --help" ;;
	lint) echo "--format --strict --mounts --host-root --arch --list-rules --help" ;;
	explain) echo "$s --tool --input --no-session --env --json --help" ;;
	check) echo "$s --no-session --denials --other-denials --json --help" ;;
	resolve) echo "$s --blocklist --blocklist-exemption --readonly-prefix --json
		--allow-directory --help" ;;
	serve) echo "--socket --allow-uid --help" ;;
	doctor) echo "--json --help" ;;
	bwrap) echo "--unshare-user --unshare-user-try --unshare-ipc --unshare-pid --unshare-net
		--unshare-uts --unshare-cgroup --unshare-cgroup-try --unshare-all --share-net
		--uid --gid --uid-map --gid-map --userns --disable-userns --assert-userns-disabled
		--hostname --chdir --setenv --exec-label --file-label
		--unsetenv --clearenv --argv0 --args --cap-drop --cap-add --bind --bind-try
		--ro-bind --ro-bind-try --dev-bind --dev-bind-try --bind-fd --ro-bind-fd
		--remount-ro --tmpfs --size --perms --dir --symlink --file --bind-data
		--ro-bind-data --chmod --proc --dev --mqueue --overlay-src --overlay
		--tmp-overlay --ro-overlay --new-session --die-with-parent --as-pid-1
		--lock-file --seccomp --add-seccomp-fd --sync-fd --block-fd --info-fd
		--json-status-fd --level-prefix --pidns --userns2 --userns-block-fd --help
		--version" ;;
	esac
}

# Sets COMPREPLY for the argument of option $2 of command $1 and returns 0, or
# returns 1 when $2 takes no argument.
_ag3ntum_sandbox_argument() {
	local cur=$3
	case $1:$2 in
	bwrap:--bind | bwrap:--bind-try | bwrap:--ro-bind | bwrap:--ro-bind-try | bwrap:--dev-bind | \
		bwrap:--dev-bind-try | bwrap:--overlay-src | bwrap:--remount-ro | bwrap:--tmpfs | \
		bwrap:--dir | bwrap:--proc | bwrap:--dev | bwrap:--mqueue | bwrap:--chdir | \
		bwrap:--lock-file | bwrap:--tmp-overlay | bwrap:--ro-overlay)
		COMPREPLY=($(compgen -f -- "$cur")) ;;
	bwrap:--*) case $2 in
		--uid | --gid | --hostname | --setenv | --unsetenv | --argv0 | --args | --cap-drop | \
			--cap-add | --size | --perms | --bind-fd | --ro-bind-fd | --symlink | --file | \
			--bind-data | --ro-bind-data | --chmod | --overlay | --seccomp | --add-seccomp-fd | \
			--sync-fd | --block-fd | --info-fd | --json-status-fd | --uid-map | --gid-map)
			COMPREPLY=() ;;
		*) return 1 ;;
		esac ;;
	*:--profile | *:--spec | *:--mounts | *:--secrets | *:--result | *:--output | *:-o | \
		*:--socket | *:--session)
		COMPREPLY=($(compgen -f -- "$cur")) ;;
	*:--workspace | *:--host-root | *-dir)
		COMPREPLY=($(compgen -d -- "$cur")) ;;
	lint:--format) COMPREPLY=($(compgen -W "text json sarif" -- "$cur")) ;;
	*:--uid-mode) COMPREPLY=($(compgen -W "isolated direct any" -- "$cur")) ;;
	lint:--arch) COMPREPLY=($(compgen -W "x86_64 aarch64" -- "$cur")) ;;
	*:--uid | *:--gid | *:--user | *:--session-id | *:--dynamic | *:--api-uid | *:--timeout | \
		*:--json-fd | *:--parent-pid | *:--owner-pid | *:--tool | *:--input | *:--denials | \
		*:--other-denials | *:--blocklist | *:--blocklist-exemption | *:--readonly-prefix | \
		*:--allow-uid)
		COMPREPLY=() ;;
	*) return 1 ;;
	esac
	return 0
}

_ag3ntum_sandbox() {
	# zsh runs this through bashcompinit (_ag3ntum-sandbox): arrays from 0 as in bash
	[ -z "${ZSH_VERSION-}" ] || setopt localoptions ksharrays
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local cmd="" sub="" i=1 w
	COMPREPLY=()
	while [ $i -lt "$COMP_CWORD" ]; do
		case ${COMP_WORDS[i]} in
		-*) ;;
		*) cmd=${COMP_WORDS[i]} && break ;;
		esac
		i=$((i + 1))
	done
	if [ -z "$cmd" ]; then
		case $cur in
		-*) if [ "$prev" = --version ]; then
			COMPREPLY=($(compgen -W "--json" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "--help --version" -- "$cur"))
		fi ;;
		*) COMPREPLY=($(compgen -W "$_ag3ntum_sandbox_commands" -- "$cur")) ;;
		esac
		return 0
	fi
	# after `--` (or bwrap's first operand), the command to run
	local j=$((i + 1))
	while [ $j -lt "$COMP_CWORD" ]; do
		w=${COMP_WORDS[j]}
		if [ "$w" = -- ]; then
			COMPREPLY=($(compgen -c -- "$cur" | sort -u))
			return 0
		fi
		j=$((j + 1))
	done
	case $cmd in
	help)
		# one COMMAND (help itself too: `help help`), and nothing after it
		if [ $((i + 1)) -eq "$COMP_CWORD" ]; then
			case $cur in
			-*) COMPREPLY=($(compgen -W "--help" -- "$cur")) ;;
			*) COMPREPLY=($(compgen -W "$_ag3ntum_sandbox_commands" -- "$cur")) ;;
			esac
		fi
		return 0 ;;
	session)
		sub=${COMP_WORDS[i + 1]}
		if [ $((i + 1)) -eq "$COMP_CWORD" ]; then
			case $cur in
			-*) COMPREPLY=($(compgen -W "--help" -- "$cur")) ;;
			*) COMPREPLY=($(compgen -W "open close" -- "$cur")) ;;
			esac
			return 0
		fi
		if [ "$sub" = close ]; then
			COMPREPLY=($(compgen -f -- "$cur"))
			return 0
		fi ;;
	exec | compile | lint | explain | check | resolve | serve | doctor | bwrap) ;;
	*) return 0 ;;
	esac
	if _ag3ntum_sandbox_argument "$cmd" "$prev" "$cur"; then
		return 0
	fi
	case $cur in
	-*)
		COMPREPLY=($(compgen -W "$(_ag3ntum_sandbox_options "$cmd")" -- "$cur"))
		return 0 ;;
	esac
	case $cmd in
	lint) COMPREPLY=($(compgen -f -- "$cur")) ;;
	resolve) COMPREPLY=($(compgen -W "read write edit delete list glob grep" -- "$cur")) ;;
	esac
	return 0
}
complete -o filenames -o bashdefault -F _ag3ntum_sandbox ag3ntum-sandbox
