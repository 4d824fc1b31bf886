# ./aie4 container: a container image that runs guest suites, built from Debian's archive only
# (no container registry is needed). Sourced by ./aie4 after common.sh and setup.sh.
#
#   1. base image: mmdebstrap of Debian bookworm (minbase) to a tarball, `podman import`ed as
#      $AIE4_CONTAINER_BASE;
#   2. container/Containerfile on top: copies this checkout, runs ./aie4 setup (host packages,
#      the trixie tree) and ./aie4 build, builds the guest initramfs; the result is
#      $AIE4_CONTAINER_IMAGE.
# docs/ci.md ("The container image") has the flags `podman run` needs and what each step needs.

AIE4_CONTAINER_BASE=${AIE4_CONTAINER_BASE:-localhost/aie4emu-base:bookworm}
AIE4_CONTAINER_IMAGE=${AIE4_CONTAINER_IMAGE:-localhost/aie4emu:latest}

container_usage() {
    cat <<EOF
usage: ./aie4 container build [--tag IMAGE] [--rebuild-base] [--engine podman|buildah]
       ./aie4 container run [--tag IMAGE] [--suite DIR] [--out DIR] [--] COMMAND...
       ./aie4 container flags
build   builds the base image from Debian's archive (mmdebstrap bookworm -> tarball ->
        podman import as $AIE4_CONTAINER_BASE; kept until --rebuild-base), then
        container/Containerfile on top of it (setup, build and guest image at build time) as
        IMAGE (default $AIE4_CONTAINER_IMAGE). Needs root (mmdebstrap, podman) and the network
        to the Debian archive; the RUN step needs CAP_SYS_ADMIN for the trixie tree's
        mmdebstrap (given with --cap-add).
run     podman run --rm IMAGE COMMAND with this machine's flags (see 'flags'); --suite DIR is
        mounted read-only at /suite, --out DIR at /out. Example:
          ./aie4 container run --suite my-tests --out results -- ./aie4 run-suite /suite --junit /out/junit.xml
flags   prints the podman run flags this machine needs (/dev/kvm when usable, the OCI runtime
        and rlimits where the defaults fail)
EOF
}

# Flags for podman run/build on this host. Each is added only where the default fails here:
#  - /dev/kvm: passed when KVM can boot a stock kernel (aie4_accel); guests use TCG otherwise.
#  - --runtime runc: crun (podman's default) refuses hosts whose cgroup v2 hierarchy is mounted
#    beside v1 with controllers enabled ("cgroups in hybrid mode not supported").
#  - --ulimit: without CAP_SYS_RESOURCE, the runtime cannot raise RLIMIT_NOFILE/NPROC to
#    podman's defaults; the current hard limits are used instead (NPROC at most 32768: podman
#    lowers its own limit to that).
# container_flags [build]: one flag or value a line; 'build' leaves out the devices.
container_flags() {
    local flags=()
    [ "${1:-}" != build ] && [ "$(aie4_accel)" = kvm ] && flags+=(--device /dev/kvm)
    if [ -d /sys/fs/cgroup/unified ] && grep -q . /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null &&
       command -v runc >/dev/null; then
        flags+=(--runtime runc)
    fi
    local capeff; capeff=$(awk '/^CapEff:/{print $2}' /proc/self/status)
    if [ -n "$capeff" ] && (( (16#$capeff >> 24 & 1) == 0 )); then   # 24: CAP_SYS_RESOURCE
        local nofile nproc
        nofile=$(ulimit -Hn); nproc=$(ulimit -Hu)
        [ "$nofile" = unlimited ] && nofile=1048576
        { [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ]; } && nproc=32768
        flags+=(--ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc")
    fi
    printf '%s\n' "${flags[@]}"
}

container_need_engine() {
    command -v podman >/dev/null ||
        aie4_die "podman is not installed: apt-get install podman (Debian bookworm has 4.3); buildah alone can build but not run"
}

# The base image: Debian bookworm minbase from the archive in the host's apt sources.
container_build_base() {
    local t uri tar log=$AIE4_CACHE/logs/container-base.log
    t=$(aie4_now)
    aie4_require_root "mmdebstrap of the base image"
    uri=$(aie4_archive_uri)
    [ -n "$uri" ] || aie4_die "no Debian archive URI (…/debian) found in the host's apt sources"
    aie4_check_archive_reachable "$uri"
    mkdir -p "$AIE4_CACHE/container" "$AIE4_CACHE/logs"
    tar=$AIE4_CACHE/container/base-bookworm.tar
    aie4_step "base image: mmdebstrap bookworm (minbase) to $tar (a few minutes)"
    # root mode: mmdebstrap mounts /proc and /dev in the new tree while apt installs.
    mmdebstrap --variant=minbase --mode=root --format=tar \
        --aptopt='APT::Install-Recommends "false"' \
        --include=ca-certificates \
        bookworm "$tar.new" "deb $uri bookworm main" "deb $uri bookworm-updates main" >"$log" 2>&1 ||
        { tail -25 "$log" >&2; rm -f "$tar.new"; aie4_die "mmdebstrap of the base image failed (log: $log)"; }
    mv -f "$tar.new" "$tar"
    podman import --change 'CMD ["/bin/bash"]' --change 'ENV LANG=C.UTF-8' \
        "$tar" "$AIE4_CONTAINER_BASE" >>"$log" 2>&1 ||
        { tail -10 "$log" >&2; aie4_die "podman import of $tar failed (log: $log)"; }
    aie4_step "base image: $AIE4_CONTAINER_BASE, $(du -m "$tar" | cut -f1) MiB tarball ($(aie4_elapsed "$t") s)"
}

container_build() {
    local tag=$AIE4_CONTAINER_IMAGE rebuild_base= engine=podman
    while [ $# -gt 0 ]; do
        case $1 in
            --tag) tag=${2:?--tag needs an image name}; shift 2;;
            --rebuild-base) rebuild_base=1; shift;;
            --engine) engine=${2:?}; shift 2;;
            *) aie4_die "container build: unknown option '$1' (see ./aie4 container --help)";;
        esac
    done
    [[ $engine =~ ^(podman|buildah)$ ]] || aie4_die "--engine must be podman or buildah"
    container_need_engine
    [ "$engine" = podman ] || command -v buildah >/dev/null || aie4_die "buildah is not installed (apt-get install buildah)"
    command -v mmdebstrap >/dev/null || aie4_die "mmdebstrap is not installed (./aie4 setup installs it)"
    local t0; t0=$(aie4_now)
    if [ -n "$rebuild_base" ] || ! podman image exists "$AIE4_CONTAINER_BASE"; then
        container_build_base
    else
        aie4_step "base image: $AIE4_CONTAINER_BASE present (--rebuild-base to refresh)"
    fi
    local flags=() log=$AIE4_CACHE/logs/container-build-${tag//[^A-Za-z0-9._-]/_}.log
    mapfile -t flags < <(container_flags build)
    aie4_step "image: $engine build of container/Containerfile as $tag (setup and build inside; log $log)"
    # SYS_ADMIN: ./aie4 setup's mmdebstrap (--mode=root) mounts /proc and /dev in the trixie tree.
    # Host network: the RUN step reaches the same Debian archive as the host.
    local cmd=("$engine" build --network host --cap-add SYS_ADMIN "${flags[@]}"
               --build-arg "BASE=$AIE4_CONTAINER_BASE" -f "$AIE4_ROOT/container/Containerfile" -t "$tag" "$AIE4_ROOT")
    [ "$engine" = buildah ] && cmd=(buildah bud --network host --cap-add SYS_ADMIN "${flags[@]}"
               --build-arg "BASE=$AIE4_CONTAINER_BASE" -f "$AIE4_ROOT/container/Containerfile" -t "$tag" "$AIE4_ROOT")
    aie4_step "  ${cmd[*]}"
    "${cmd[@]}" >"$log" 2>&1 || { tail -30 "$log" >&2; aie4_die "the image build failed (log: $log)"; }
    aie4_step "image: $tag built ($(aie4_elapsed "$t0") s)"
    aie4_step "run a suite: ./aie4 container run --tag $tag --suite DIR --out DIR -- ./aie4 run-suite /suite --junit /out/junit.xml"
}

container_run() {
    local tag=$AIE4_CONTAINER_IMAGE suite= out= mounts=()
    while [ $# -gt 0 ]; do
        case $1 in
            --tag) tag=${2:?}; shift 2;;
            --suite) suite=${2:?}; shift 2;;
            --out) out=${2:?}; shift 2;;
            --) shift; break;;
            -*) aie4_die "container run: unknown option '$1' (see ./aie4 container --help)";;
            *) break;;
        esac
    done
    [ $# -gt 0 ] || aie4_die "container run: no command (e.g. -- ./aie4 boot --script /suite/x.sh)"
    container_need_engine
    if [ -n "$suite" ]; then
        [ -d "$suite" ] || aie4_die "--suite $suite is not a folder"
        mounts+=(-v "$(readlink -f "$suite"):/suite:ro")
    fi
    if [ -n "$out" ]; then
        mkdir -p "$out"
        mounts+=(-v "$(readlink -f "$out"):/out")
    fi
    local flags=()
    mapfile -t flags < <(container_flags)
    exec podman run --rm "${flags[@]}" "${mounts[@]}" "$tag" "$@"
}

cmd_container() {
    local sub=${1:-}
    [ $# -gt 0 ] && shift
    case $sub in
        build) container_build "$@";;
        run) container_run "$@";;
        flags) container_flags | paste -sd' ';;
        ""|-h|--help) container_usage;;
        *) aie4_die "container: unknown subcommand '$sub' (build, run, flags)";;
    esac
}
