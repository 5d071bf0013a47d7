#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The manual pages and the shell completions keep up with the tools:
# - every page in man/ renders without warnings (groff -man -ww -z);
# - every option a tool's --help lists appears in that tool's page;
# - every long option a tool's page documents is accepted by the tool: it is
#   in the tool's --help, or (kmod's --help texts, which kmodx reproduces,
#   leave out some accepted spellings, and --backend is kmodx's own) the
#   tool's option parser takes it;
# - every long option of every --help (kmodx's own included) appears in the
#   bash and the zsh completion.
#
# Usage: man-pages.sh KMODX
set -uo pipefail
export LC_ALL=C
[ $# -eq 1 ] || { echo "usage: $0 KMODX" >&2; exit 2; }
kmodx=$(realpath "$1")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
man=$(cd "$here/../../man" && pwd)
completions=$(cd "$here/../../completions" && pwd)
tools="depmod modprobe modinfo insmod rmmod lsmod check"
pass=0 fail=0
# Words prepended to modprobe's command line would change what is parsed.
unset MODPROBE_OPTIONS

# Whether the text on stdin contains the option $1 as a whole word:
# "--force" is not found in "--force-vermagic".
has_option() {
	grep -qE -- "(^|[^A-Za-z0-9-])$1([^A-Za-z0-9-]|\$)"
}

# The options (short and long) a --help text on stdin lists.
help_options() {
	sed "s/(uname -r)//g" | grep -oE '(^|[[:space:],])--?[A-Za-z0-9][A-Za-z0-9-]*' | sed 's/^[[:space:],]*//' | sort -u
}

# Whether the option parser of tool $1 takes the long option $2. --help comes
# first, so the tool prints its help and exits once the whole command line
# has been parsed; an option taking a value reaches the end without one.
accepted() {
	local err
	err=$("$kmodx" "$1" --help "$2" 2>&1 >/dev/null) && return 0
	grep -q "requires an argument" <<<"$err"
}

for page in "$man"/*.[58]; do
	warnings=$(groff -man -ww -z "$page" 2>&1)
	if [ -z "$warnings" ]; then pass=$((pass + 1)); else
		fail=$((fail + 1)); echo "FAIL: $(basename "$page") renders with warnings:"; echo "$warnings"; fi
done

# The page of a tool: kmodx's own commands have kmodx-<tool>.8.
page_of() { if [ "$1" = check ]; then echo "$man/kmodx-$1.8"; else echo "$man/$1.8"; fi; }

for tool in $tools; do
	page=$(page_of "$tool")
	[ -f "$page" ] || { fail=$((fail + 1)); echo "FAIL: no man page for $tool"; continue; }
	# The page's text with groff's escaped hyphens made plain, without comments.
	text=$(grep -v '^\.\\"' "$page" | sed 's/\\-/-/g; s/\\f[BIRP]//g')
	help=$("$kmodx" "$tool" --help)
	options=$(help_options <<<"$help")
	for opt in $options; do
		if has_option "$opt" <<<"$text"; then pass=$((pass + 1)); else
			fail=$((fail + 1)); echo "FAIL: $tool --help lists $opt, man/$(basename "$page") does not"; fi
	done

	# The other way round: what the page documents, the tool takes.
	documented=$(grep -oE -- '--[A-Za-z0-9][A-Za-z0-9-]*' <<<"$text" | sort -u)
	for opt in $documented; do
		if has_option "$opt" <<<"$help" || accepted "$tool" "$opt"; then pass=$((pass + 1)); else
			fail=$((fail + 1)); echo "FAIL: man/$(basename "$page") documents $opt, which $tool does not accept"; fi
	done
done

# The part of completion file $1 that completes tool $2 (kmodx: the first
# word after kmodx): in the bash file the variable _kmodx_opts_<tool> (the
# function _kmodx for kmodx), in the zsh file the function _kmodx_<tool>
# (_kmodx).
completion_part() {
	case $1 in
	*/bash/*)
		if [ "$2" = kmodx ]; then
			bash -c 'source "$1" && declare -f _kmodx' _ "$1"
		else
			bash -c 'source "$1" && v=_kmodx_opts_$2 && printf "%s\n" "${!v}"' _ "$1" "$2"
		fi ;;
	*/zsh/*)
		local function=_kmodx_$2
		[ "$2" = kmodx ] && function=_kmodx
		awk -v start="$function() {" '$0 == start { on = 1 } on { print } on && /^}/ { on = 0 }' "$1" ;;
	esac
}

# The completions know every long option of every --help, each in the part
# that completes its tool.
for file in "$completions/bash/kmodx" "$completions/zsh/_kmodx"; do
	name=${file#"$completions"/}
	[ -f "$file" ] || { fail=$((fail + 1)); echo "FAIL: no completion $name"; continue; }
	for tool in kmodx $tools; do
		part=$(completion_part "$file" "$tool" 2>&1)
		[ -n "$part" ] || { fail=$((fail + 1)); echo "FAIL: completions/$name has nothing for $tool"; continue; }
		if [ "$tool" = kmodx ]; then help=$("$kmodx" --help); else help=$("$kmodx" "$tool" --help); fi
		for opt in $(help_options <<<"$help" | grep -e '^--'); do
			if has_option "$opt" <<<"$part"; then pass=$((pass + 1)); else
				fail=$((fail + 1)); echo "FAIL: $tool --help lists $opt, completions/$name does not complete it for $tool"; fi
		done
	done
done

echo "man-pages: $pass passed, $fail failed"
[ $fail -eq 0 ]
