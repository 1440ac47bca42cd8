# bash completion for triage(1).  The commands and their options come
# from the program itself (`triage help --list`, `triage help CMD`), so
# this file never goes stale when a command is added.

_triage()
{
	local cur prev words cword cmd i
	# plain COMP_WORDS: no need for the bash-completion package's helpers
	words=("${COMP_WORDS[@]}")
	cword=$COMP_CWORD
	cur=${words[cword]}
	prev=${words[cword - 1]}

	# the command: the first word after the global options
	cmd=
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-c | --config) ((i++)) ;;
		-*) ;;
		*)
			cmd=${words[i]}
			break
			;;
		esac
	done

	case $prev in
	-c | --config | --db | -o | --rules | --baseline)
		compopt -o default 2>/dev/null # readline's file names
		return
		;;
	--as)
		return # a team member's name: nothing to list without the config
		;;
	--format)
		COMPREPLY=($(compgen -W 'text json csv html' -- "$cur"))
		return
		;;
	--state)
		COMPREPLY=($(compgen -W 'new claimed routed acknowledged closed ignored' -- "$cur"))
		return
		;;
	esac

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W '-c --config -h --help -V --version' -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$("${words[0]}" help --list 2>/dev/null)" -- "$cur"))
		fi
		return
	fi
	case $cmd in
	help)
		COMPREPLY=($(compgen -W "$("${words[0]}" help --list 2>/dev/null)" -- "$cur"))
		return
		;;
	priority)
		if [[ $cur != -* ]]; then
			COMPREPLY=($(compgen -W 'low normal high urgent' -- "$cur"))
			return
		fi
		;;
	rules)
		if ((cword == i + 1)); then
			COMPREPLY=($(compgen -W 'check test replay' -- "$cur"))
			return
		fi
		;;
	config)
		if ((cword == i + 1)); then
			COMPREPLY=($(compgen -W 'show' -- "$cur"))
			return
		fi
		;;
	esac
	if [[ $cur == -* ]]; then
		# every --option in the command's usage line, and --help
		local opts
		opts=$("${words[0]}" help "$cmd" 2>/dev/null | sed -n 1p |
			grep -o -- '--[a-z][a-z-]*' | sort -u)
		COMPREPLY=($(compgen -W "$opts --help" -- "$cur"))
		return
	fi
	case $cmd in
	inspect | ingest) compopt -o default 2>/dev/null ;;
	esac
}
complete -F _triage triage
