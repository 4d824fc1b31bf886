# ./aie4 setup: host packages (Debian bookworm + bookworm-backports) and the cached trixie tree
# (QEMU >= 10.1, guest kernel and modules, busybox, XRT). Sourced by ./aie4 after common.sh.

# Host packages that only bookworm-backports has in the needed version.
AIE4_HOST_PACKAGES_BACKPORTS=(meson catch2 libboost1.83-dev libboost-json1.83-dev)
AIE4_HOST_PACKAGES=(ninja-build g++ pkg-config libfmt-dev libcli11-dev python3 mmdebstrap zstd e2fsprogs gzip)
# Test tools, not needed to build or boot: Chromium for the array-trace viewer test
# (tests/host/array-trace-viewer.sh skips without it). `./aie4 setup --no-test-tools` leaves
# them out (the container image does); setup_complete does not ask for them.
AIE4_TEST_PACKAGES=(chromium)
AIE4_BACKPORTS_SOURCE=/etc/apt/sources.list.d/aie4emu-bookworm-backports.sources

# The Debian archive URI the host already uses (its apt sources), so that no host name is ever
# written in this repo: the first deb URI ending in /debian (deb822 .sources or one-line .list).
aie4_archive_uri() {
    cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        grep -oE '^(URIs:[[:space:]]*|deb[[:space:]]+(\[[^]]*\][[:space:]]+)?)[a-z+]+://[^[:space:]]+/debian/?([[:space:]]|$)' |
        sed -E 's/^(URIs:[[:space:]]*|deb[[:space:]]+(\[[^]]*\][[:space:]]+)?)//; s/[[:space:]]+$//' | head -n1 || true
}

# Fails with a clear message when the archive's host does not accept TCP connections (skipped
# when apt goes through a proxy, which the probe would not use).
aie4_check_archive_reachable() {
    local uri=$1 hostport host port
    apt-config dump 2>/dev/null | grep -qi 'Acquire::https\?::Proxy "[^"]' && return 0
    [ -n "${http_proxy:-}${https_proxy:-}" ] && return 0
    hostport=${uri#*://}; hostport=${hostport%%/*}
    host=${hostport%%:*}; port=${hostport##*:}
    [ "$port" != "$hostport" ] || { case $uri in https:*) port=443;; *) port=80;; esac; }
    timeout 10 bash -c ': >"/dev/tcp/$1/$2"' _ "$host" "$port" 2>/dev/null ||
        aie4_die "the Debian archive $uri (from the host's apt sources) is unreachable: check the network or apt's proxy settings"
}

aie4_missing_packages() {
    local p
    for p in "$@"; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
    done
}

aie4_require_root() {
    [ "$(id -u)" = 0 ] || aie4_die "$1 needs root (apt-get, mmdebstrap): run 'sudo ./aie4 setup' once"
}

# bookworm-backports in the host's sources, reusing the archive URI already there.
setup_backports() {
    local t; t=$(aie4_now)
    if grep -rqsE '^[^#]*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
        aie4_step "bookworm-backports: already enabled"
        return 0
    fi
    aie4_require_root "enabling bookworm-backports"
    local uri; uri=$(aie4_archive_uri)
    [ -n "$uri" ] || aie4_die "no Debian archive URI (…/debian) found in /etc/apt/sources.list{,.d}: cannot enable bookworm-backports"
    printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        "$uri" >"$AIE4_BACKPORTS_SOURCE"
    rm -f "$AIE4_CACHE/.apt-updated"
    aie4_step "bookworm-backports: enabled in $AIE4_BACKPORTS_SOURCE ($(aie4_elapsed "$t") s)"
}

# apt-get update only when the backports lists are absent (just enabled, or never fetched).
setup_apt_update() {
    local t; t=$(aie4_now)
    if ls /var/lib/apt/lists/*bookworm-backports*_Packages* >/dev/null 2>&1 && [ "${1:-}" != force ]; then
        aie4_step "apt lists: present"
        return 0
    fi
    aie4_require_root "apt-get update"
    aie4_check_archive_reachable "$(aie4_archive_uri)"
    apt-get update -qq >"$AIE4_CACHE/logs/apt-update.log" 2>&1 ||
        { tail -20 "$AIE4_CACHE/logs/apt-update.log" >&2; aie4_die "apt-get update failed (is the Debian archive reachable?)"; }
    aie4_step "apt-get update ($(aie4_elapsed "$t") s)"
}

setup_host_packages() {
    local t need_bpo need log=$AIE4_CACHE/logs/apt-install.log
    t=$(aie4_now)
    need_bpo=$(aie4_missing_packages "${AIE4_HOST_PACKAGES_BACKPORTS[@]}" | tr '\n' ' ')
    need=$(aie4_missing_packages "${AIE4_HOST_PACKAGES[@]}" | tr '\n' ' ')
    if [ -z "${need_bpo// /}${need// /}" ]; then
        aie4_step "host packages: all present"
        return 0
    fi
    aie4_require_root "installing host packages ($need_bpo$need)"
    export DEBIAN_FRONTEND=noninteractive
    local try
    for try in 1 2; do
        if { [ -z "${need_bpo// /}" ] ||
             apt-get install -y -qq --no-install-recommends -t bookworm-backports $need_bpo >"$log" 2>&1; } &&
           { [ -z "${need// /}" ] || apt-get install -y -qq --no-install-recommends $need >>"$log" 2>&1; }; then
            aie4_step "host packages: installed $need_bpo$need($(aie4_elapsed "$t") s)"
            return 0
        fi
        [ $try = 1 ] && setup_apt_update force   # stale lists: refresh once and retry
    done
    tail -20 "$log" >&2
    aie4_die "installing host packages failed: $need_bpo$need (log: $log)"
}

setup_test_packages() {
    local t need log=$AIE4_CACHE/logs/apt-install-test-tools.log
    t=$(aie4_now)
    need=$(aie4_missing_packages "${AIE4_TEST_PACKAGES[@]}" | tr '\n' ' ')
    if [ -z "${need// /}" ]; then
        aie4_step "test tools: all present"
        return 0
    fi
    aie4_require_root "installing test tools ($need)"
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >"$log" 2>&1 ||
        { tail -20 "$log" >&2; aie4_die "installing test tools failed: $need(log: $log)"; }
    aie4_step "test tools: installed $need($(aie4_elapsed "$t") s)"
}

# tree_mmdebstrap DEST NAME PACKAGES...: one mmdebstrap call into DEST.new, then moved to DEST.
tree_mmdebstrap() {
    local dest=$1 name=$2; shift 2
    local t uri log=$AIE4_CACHE/logs/mmdebstrap-${name// /-}.log new=$dest.new
    t=$(aie4_now)
    aie4_require_root "building the $name"
    command -v mmdebstrap >/dev/null || aie4_die "mmdebstrap is not installed (./aie4 setup installs it)"
    uri=$(aie4_archive_uri)
    [ -n "$uri" ] || aie4_die "no Debian archive URI (…/debian) found in the host's apt sources"
    aie4_check_archive_reachable "$uri"
    rm -rf --one-file-system "$new"
    aie4_step "$name: mmdebstrap of $# packages and their dependencies (about a minute)"
    local include; include=$(IFS=,; echo "$*")
    if ! mmdebstrap --variant=minbase --mode=root \
            --aptopt='APT::Install-Recommends "false"' \
            --aptopt="APT::Default-Release \"$AIE4_TREE_DEFAULT_RELEASE\"" \
            --include="$include" \
            "$AIE4_TREE_SUITE" "$new" \
            "deb $uri $AIE4_TREE_SUITE main" "deb $uri $AIE4_TREE_SUITE-backports main" >"$log" 2>&1; then
        tail -25 "$log" >&2
        rm -rf --one-file-system "$new"
        if grep -qE 'Could not resolve|Failed to fetch|Temporary failure|Connection (refused|timed out)' "$log"; then
            aie4_die "mmdebstrap could not download from $uri: is the archive reachable? (log: $log)"
        fi
        aie4_die "mmdebstrap failed (log: $log)"
    fi
    echo aie4-guest >"$new/etc/hostname"
    rm -rf --one-file-system "$dest"
    mv "$new" "$dest"
    aie4_step "$name: built with mmdebstrap, $(du -sxm "$dest" | cut -f1) MiB ($(aie4_elapsed "$t") s)"
}

tree_build() { tree_mmdebstrap "$AIE4_TREE" "trixie tree" "${AIE4_TREE_PACKAGES[@]}"; }

# The developer tree (common.sh): compilers and headers for building guest programs and the
# driver. Cached like the tree; built on first use.
setup_devtree() {
    aie4_devtree_ready && return 0
    mkdir -p "$AIE4_DEVTREE_CACHE" "$AIE4_CACHE/logs"
    exec 8>"$AIE4_CACHE/.devtree.lock"
    flock -w 900 8 || aie4_die "another process holds $AIE4_CACHE/.devtree.lock"
    if ! aie4_devtree_ready; then
        local tarball=$AIE4_DEVTREE_CACHE/tree.tar.zst
        if [ -s "$tarball" ]; then
            local t; t=$(aie4_now)
            rm -rf --one-file-system "$AIE4_DEVTREE.new"; mkdir -p "$AIE4_DEVTREE.new"
            zstd -q -dc "$tarball" | tar -C "$AIE4_DEVTREE.new" --numeric-owner --xattrs -xpf - ||
                aie4_die "restoring $tarball failed (delete it to rebuild)"
            rm -rf --one-file-system "$AIE4_DEVTREE"; mv "$AIE4_DEVTREE.new" "$AIE4_DEVTREE"
            aie4_step "developer tree: restored ($(aie4_elapsed "$t") s)"
        else
            tree_mmdebstrap "$AIE4_DEVTREE" "developer tree" "${AIE4_DEVTREE_PACKAGES[@]}"
            tar -C "$AIE4_DEVTREE" --numeric-owner --xattrs -cf - . | zstd -q -T0 -3 -o "$tarball.tmp" &&
                mv -f "$tarball.tmp" "$tarball"
        fi
        dpkg-query --admindir="$AIE4_DEVTREE/var/lib/dpkg" -W -f='${Package} ${Version}\n' \
            >"$AIE4_DEVTREE_CACHE/versions.txt"
    fi
    exec 8>&-
    aie4_step "developer tree: ready ($AIE4_DEVTREE)"
}

tree_pack() {
    local t; t=$(aie4_now)
    tar -C "$AIE4_TREE" --numeric-owner --xattrs -cf - . | zstd -q -T0 -3 -o "$AIE4_TREE_TARBALL.tmp" ||
        aie4_die "packing the tree into $AIE4_TREE_TARBALL failed"
    mv -f "$AIE4_TREE_TARBALL.tmp" "$AIE4_TREE_TARBALL"
    aie4_step "trixie tree: packed into $(basename "$AIE4_TREE_TARBALL"), $(du -m "$AIE4_TREE_TARBALL" | cut -f1) MiB ($(aie4_elapsed "$t") s)"
}

tree_restore() {
    local t new=$AIE4_TREE_CACHE/root.new
    t=$(aie4_now)
    rm -rf --one-file-system "$new"; mkdir -p "$new"
    zstd -q -dc "$AIE4_TREE_TARBALL" | tar -C "$new" --numeric-owner --xattrs -xpf - ||
        { rm -rf --one-file-system "$new"; aie4_die "restoring $AIE4_TREE_TARBALL failed (delete it to rebuild)"; }
    rm -rf --one-file-system "$AIE4_TREE"     # a partial root (interrupted restore) would swallow the new one
    mv "$new" "$AIE4_TREE"
    aie4_step "trixie tree: restored from $(basename "$AIE4_TREE_TARBALL") ($(aie4_elapsed "$t") s)"
}

tree_record_versions() {
    dpkg-query --admindir="$AIE4_TREE/var/lib/dpkg" -W -f='${Package} ${Version}\n' >"$AIE4_TREE_VERSIONS.tmp"
    mv -f "$AIE4_TREE_VERSIONS.tmp" "$AIE4_TREE_VERSIONS"
    aie4_step "trixie tree: $(wc -l <"$AIE4_TREE_VERSIONS") packages; qemu $(awk '$1=="qemu-system-x86"{print $2}' "$AIE4_TREE_VERSIONS"), XRT $(awk '$1=="libxrt2"{print $2}' "$AIE4_TREE_VERSIONS") (versions.txt)"
}

# vmlinux: the ELF inside the zstd-compressed bzImage. QEMU boots it through its PVH note, which
# saves the in-guest decompression (~1.3 s per TCG boot).
tree_extract_vmlinux() {
    local t off z=$AIE4_TREE_MODULES/vmlinuz
    t=$(aie4_now)
    [ -f "$z" ] || aie4_die "$z missing: the tree lacks linux-binary-$AIE4_KVER"
    off=$(LC_ALL=C grep -obUaP '\x28\xb5\x2f\xfd' "$z" | head -n1 | cut -d: -f1)
    [ -n "$off" ] || aie4_die "no zstd frame in $z"
    # zstd complains about the bytes after the frame: ignored, the ELF magic is checked instead.
    tail -c +$((off + 1)) "$z" | zstd -dcq >"$AIE4_VMLINUX.tmp" 2>/dev/null || true
    [ "$(head -c4 "$AIE4_VMLINUX.tmp" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ] ||
        { rm -f "$AIE4_VMLINUX.tmp"; aie4_die "vmlinux extraction from $z failed"; }
    mv -f "$AIE4_VMLINUX.tmp" "$AIE4_VMLINUX"
    aie4_step "vmlinux: extracted, $(du -m "$AIE4_VMLINUX" | cut -f1) MiB ($(aie4_elapsed "$t") s)"
}

setup_tree() {
    mkdir -p "$AIE4_TREE_CACHE"
    if [ -x "$AIE4_TREE/usr/bin/qemu-system-x86_64" ] && [ -s "$AIE4_TREE_VERSIONS" ]; then
        aie4_step "trixie tree: present ($AIE4_TREE)"
    elif [ -s "$AIE4_TREE_TARBALL" ] && [ -s "$AIE4_TREE_VERSIONS" ]; then
        tree_restore
    else
        rm -f "$AIE4_TREE_VERSIONS" "$AIE4_TREE_TARBALL" "$AIE4_VMLINUX"
        tree_build
        tree_pack
        tree_record_versions
    fi
    [ -s "$AIE4_TREE_TARBALL" ] || tree_pack
    if [ -s "$AIE4_VMLINUX" ]; then aie4_step "vmlinux: present"; else tree_extract_vmlinux; fi
}

setup_report_qemu() {
    if aie4_host_qemu_ok; then
        aie4_step "QEMU: host $(qemu-system-x86_64 --version | head -n1 | sed 's/.*version //') (has vfio-user-pci)"
    else
        aie4_step "QEMU: the tree's $(awk '$1=="qemu-system-x86"{print $2}' "$AIE4_TREE_VERSIONS") (run through its own loader)"
    fi
    aie4_step "accelerator: $(aie4_accel)$([ -d /sys/module/kvm_pvm ] && echo ' (kvm_pvm cannot boot a stock kernel: TCG)')"
}

# Old trees (another key) are left alone but named, so that the user can delete them.
setup_note_stale_trees() {
    local d
    for d in "$AIE4_CACHE"/tree-*; do
        [ -d "$d" ] && [ "$d" != "$AIE4_TREE_CACHE" ] && aie4_step "note: unused older tree $d (safe to delete)"
    done
    return 0
}

cmd_setup() {
    local test_tools=1
    case "${1:-}" in
        -h|--help)
            cat <<EOF
usage: ./aie4 setup [--no-test-tools]
Prepares this machine (idempotent; prints one line per step with its duration).
Needs root the first time (apt-get, mmdebstrap); a complete setup needs nothing.
  1. bookworm-backports in the host's apt sources, reusing the archive URI already there
  2. apt-get update, only when the backports lists are missing
  3. host packages, only the missing ones:
       bookworm-backports: ${AIE4_HOST_PACKAGES_BACKPORTS[*]}
       bookworm:           ${AIE4_HOST_PACKAGES[*]}
       test tools:         ${AIE4_TEST_PACKAGES[*]} (not with --no-test-tools)
  4. the trixie tree (one mmdebstrap call, default release $AIE4_TREE_DEFAULT_RELEASE, no recommends):
       ${AIE4_TREE_PACKAGES[*]}
     cached in \$AIE4EMU_CACHE (default ~/.cache/aie4emu; now $AIE4_CACHE)
     as tree-<key>/{root/,tree.tar.zst,versions.txt,vmlinux}; <key> hashes the package list and the
     tree format; root/ is restored from tree.tar.zst when missing.
  5. vmlinux (PVH ELF) extracted from the tree's vmlinuz
A host qemu-system-x86_64 >= 10.1 with vfio-user-pci is used instead of the tree's when present.
EOF
            return 0;;
        --no-test-tools) test_tools=0;;
        "") ;;
        *) aie4_die "unknown option '$1' (see ./aie4 setup --help)";;
    esac
    local t0; t0=$(aie4_now)
    mkdir -p "$AIE4_CACHE/logs" || aie4_die "cannot create the cache directory $AIE4_CACHE"
    exec 9>"$AIE4_CACHE/.setup.lock"
    flock -w 600 9 || aie4_die "another ./aie4 setup holds $AIE4_CACHE/.setup.lock"
    setup_backports
    setup_apt_update
    setup_host_packages
    [ "$test_tools" = 0 ] || setup_test_packages
    setup_tree
    setup_report_qemu
    setup_note_stale_trees
    exec 9>&-
    aie4_step "setup done ($(aie4_elapsed "$t0") s; cache $AIE4_CACHE)"
}

# True when everything setup makes is in place (cheap: no apt calls beyond dpkg-query).
setup_complete() {
    [ -z "$(aie4_missing_packages "${AIE4_HOST_PACKAGES_BACKPORTS[@]}" "${AIE4_HOST_PACKAGES[@]}")" ] &&
        aie4_tree_ready && [ -s "$AIE4_TREE_TARBALL" ]
}
setup_if_needed() { setup_complete || cmd_setup; }
