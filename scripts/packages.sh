# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by the scripts that need Debian packages: one way to become root and
# one way to install what is missing, so no script grows its own.
#
# ensure_packages installs quietly: apt's and dpkg's progress goes to
# $KMODX_APT_LOG (default ${XDG_CACHE_HOME:-~/.cache}/kmodx/apt.log, appended),
# the screen gets one line per install; when apt fails, its E:/W: lines, the
# log's tail and the log's name are shown.

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		echo "need root to run: $*" >&2
		return 1
	fi
}

pkg_installed() {
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

apt_log() {
	local log=${KMODX_APT_LOG:-${XDG_CACHE_HOME:-$HOME/.cache}/kmodx/apt.log}
	mkdir -p "$(dirname "$log")"
	printf '%s\n' "$log"
}

# Runs apt-get ARGS... as root with its output appended to the apt log;
# on failure shows what went wrong and returns apt's status.
apt_quiet() {
	local log rc=0 start=1
	log=$(apt_log)
	[ -f "$log" ] && start=$(($(wc -l <"$log") + 1))
	printf '== %s apt-get %s\n' "$(date -u +%FT%TZ)" "$*" >>"$log"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@" \
		</dev/null >>"$log" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "apt-get $1 failed (exit $rc); its errors:" >&2
		tail -n +"$start" "$log" | grep -E '^(E|W): ' >&2 || true
		echo "last lines of $log:" >&2
		tail -n +"$start" "$log" | tail -n 15 >&2
	fi
	return "$rc"
}

# Installs the named packages that are not installed yet; runs apt-get update
# only when something is missing (the lists may be stale or absent). Prints
# nothing when all are there.
ensure_packages() {
	local missing=() p
	for p in "$@"; do
		pkg_installed "$p" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "installing ${#missing[@]} Debian package(s): ${missing[*]} (log: $(apt_log))" >&2
	apt_quiet update -qq
	apt_quiet install -y -qq --no-install-recommends "${missing[@]}"
}
