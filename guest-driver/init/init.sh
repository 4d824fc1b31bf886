#!/bin/sh
# Guest init of aie4emu's test guests (POSIX sh; busybox in the initramfs, the trixie tree's
# tools in the xrt rootfs). Installed as /init of the initramfs and as /usr/local/sbin/aie4-init
# of the xrt root image. What it does:
#   1. mounts proc, sysfs, devtmpfs, debugfs (and tmpfs /tmp, /run)
#   2. initramfs stage of the xrt variant (kernel cmdline aie4.root=/dev/vda): loads virtio_blk +
#      ext4, mounts the root image and switch_roots into /usr/local/sbin/aie4-init
#   3. starts the carveout hook: `busybox uevent` runs aie4-carveout-hook for every kernel uevent,
#      so each amdxdna function that binds (modprobe, or insmod of a developer's module) gets
#      its carveout and XRT works with no manual step (docs/xrt.md)
#   4. prints "AIE4-READY uptime=<s>" (the host measures boot time from it)
#   5. with a script in fw_cfg (QEMU -fw_cfg name=opt/aie4/script,file=FILE): runs it as root with
#      sh, then prints "AIE4-RESULT rc=<exit status>"
#      with aie4.shell=1 (or no script): an interactive shell on the console
#   6. writes the kernel log (dmesg) to the second serial port, when there is one (./aie4 boot
#      connects it to a file: the saved results' dmesg.txt), so it stays out of the console;
#      with aie4.stdio=DEV on the command line the kernel log goes there live instead (the
#      kernel console is ttyS1) and the init talks on DEV
#   7. powers the guest off (QEMU runs with -no-reboot, so it exits)
# With ./aie4 boot --driver the initramfs carries /aie4-driver/{amdxdna.ko,options}: that module
# replaces the packaged amdxdna before anything runs (install_driver), with its options in
# /etc/modprobe.d/aie4-driver.conf; 'aie4-modsyms' prints the loaded module's section addresses
# for gdb (./aie4 boot --gdb).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=${TERM:-linux}

is_mounted() { grep -q "^[^ ]* $1 " /proc/mounts 2>/dev/null; }  # busybox has no mountpoint applet
is_mounted /proc || mount -t proc proc /proc
is_mounted /sys || mount -t sysfs sys /sys
is_mounted /dev || mount -t devtmpfs dev /dev
uptime_s() { cut -d' ' -f1 /proc/uptime; }

root_dev=
shell_mode=
stdio=
for arg in $(cat /proc/cmdline); do
    case $arg in
        aie4.root=*) root_dev=${arg#aie4.root=} ;;
        aie4.shell=1) shell_mode=1 ;;
        aie4.stdio=*) stdio=${arg#aie4.stdio=} ;;
    esac
done
# ./aie4 boot with a script puts the kernel's console (and so /dev/console) on the second serial
# port, the live kernel log, and names the port the init and the script talk on.
if [ -n "$stdio" ] && [ -c "$stdio" ]; then
    exec <"$stdio" >"$stdio" 2>&1
else
    stdio=
fi

# The module given with ./aie4 boot --driver takes the packaged amdxdna's file: same path, so
# modules.dep and its binary index stay valid (no depmod, which takes minutes under TCG in the
# xrt root). kmod picks decompression by the file's magic bytes, not its name, so an
# uncompressed module under the packaged amdxdna.ko.xz name loads as it is.
install_driver() {
    [ -f /aie4-driver/amdxdna.ko ] || return 0
    md=/lib/modules/$(uname -r)
    rel=$(sed -n 's#^\([^:]*/amdxdna\.ko[^:]*\):.*#\1#p' "$md/modules.dep" | head -n1)
    [ -n "$rel" ] || { echo "aie4-init: no amdxdna in $md/modules.dep: --driver module not installed"; return 1; }
    cp /aie4-driver/amdxdna.ko "$md/$rel"
    mkdir -p /etc/modprobe.d
    opts=$(cat /aie4-driver/options 2>/dev/null)
    if [ -n "$opts" ]; then echo "options amdxdna $opts" >/etc/modprobe.d/aie4-driver.conf; fi
    echo "aie4-init: amdxdna from --driver installed as $md/$rel${opts:+ (options: $opts)}"
}

# aie4-modsyms: one console line with the loaded amdxdna's section addresses (gdb add-symbol-file).
write_modsyms_tool() {
    mkdir -p /usr/local/bin
    cat >/usr/local/bin/aie4-modsyms <<'EOT'
#!/bin/sh
d=/sys/module/${1:-amdxdna}/sections
[ -r "$d/.text" ] || { echo "aie4-modsyms: ${1:-amdxdna} is not loaded" >&2; exit 1; }
line="AIE4-MODSYMS"
for s in .text .data .bss .rodata; do [ -r "$d/$s" ] && line="$line $s=$(cat "$d/$s")"; done
echo "$line"
EOT
    chmod 755 /usr/local/bin/aie4-modsyms
}

# ---- stage 1 of the xrt variant: switch into the root image ----
if [ -n "$root_dev" ] && [ -d /newroot ] && [ "$$" = 1 ]; then
    modprobe virtio_blk && modprobe ext4 || echo "aie4-init: loading virtio_blk/ext4 failed"
    i=0
    while [ ! -b "$root_dev" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
    if mount -o rw "$root_dev" /newroot && [ -x /newroot/usr/local/sbin/aie4-init ]; then
        # The root image is a snapshot (QEMU snapshot=on): the --driver files may go into it.
        [ -d /aie4-driver ] && rm -rf /newroot/aie4-driver && cp -r /aie4-driver /newroot/aie4-driver
        mount --move /dev /newroot/dev
        umount /proc /sys
        exec switch_root /newroot /usr/local/sbin/aie4-init
    fi
    echo "aie4-init: cannot mount $root_dev with /usr/local/sbin/aie4-init on it; staying in the initramfs"
fi

mkdir -p /tmp /run /sys/kernel/debug
is_mounted /tmp || mount -t tmpfs tmp /tmp
is_mounted /run || mount -t tmpfs run /run
is_mounted /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
[ -e /dev/pts ] || { mkdir -p /dev/pts && mount -t devpts devpts /dev/pts 2>/dev/null; }
hostname aie4-guest 2>/dev/null
cd /

# The listener must own its netlink socket before anything can load amdxdna.
if command -v aie4-carveout-hook >/dev/null 2>&1; then
    busybox uevent aie4-carveout-hook </dev/null >/dev/null 2>&1 &
    hook_pid=$!
    i=0
    while ! grep -qE "^[0-9a-f]+ +15 +$hook_pid " /proc/net/netlink 2>/dev/null && [ $i -lt 100 ]; do
        sleep 0.02; i=$((i + 1))
    done
    [ $i -lt 100 ] || echo "aie4-init: the carveout hook's uevent listener did not start"
    aie4-carveout-hook coldplug
    # kmod's modprobe (the xrt root) returns only once the carveout is set; the uevent comes a
    # moment later. In /run, not /etc: the image's tree is shared with the initramfs builder,
    # whose module closure must not see this rule.
    if modprobe --version 2>/dev/null | grep -q kmod; then
        mkdir -p /run/modprobe.d
        echo 'install amdxdna /sbin/modprobe --ignore-install amdxdna $CMDLINE_OPTS && { /usr/local/sbin/aie4-carveout-hook coldplug; true; }' \
            >/run/modprobe.d/aie4-carveout.conf
    fi
fi

modprobe qemu_fw_cfg 2>/dev/null
install_driver
write_modsyms_tool
script=/sys/firmware/qemu_fw_cfg/by_name/opt/aie4/script/raw
echo "AIE4-READY uptime=$(uptime_s)s kernel=$(uname -r)"

if [ -r "$script" ] && [ -z "$shell_mode" ]; then
    cat "$script" >/tmp/aie4-script
    sh /tmp/aie4-script
    rc=$?
    echo "AIE4-RESULT rc=$rc"
else
    [ -r "$script" ] && cat "$script" >/tmp/aie4-script && echo "aie4-init: the script is in /tmp/aie4-script (not run: shell mode)"
    echo "aie4-init: interactive shell; leave with 'exit' or Ctrl-D (the guest then powers off)"
    export PS1='aie4-guest:\w# '
    if command -v cttyhack >/dev/null 2>&1; then
        setsid cttyhack sh -l
    elif command -v busybox >/dev/null 2>&1; then
        setsid busybox cttyhack sh -l
    else
        setsid sh -l </dev/ttyS0 >/dev/ttyS0 2>&1
    fi
fi

# Unless the kernel log already goes there live (aie4.stdio): only a port with a UART behind
# it accepts the write; without one this fails at once.
[ -n "$stdio" ] || dmesg >/dev/ttyS1 2>/dev/null
echo "aie4-init: powering off (uptime $(uptime_s)s)"
sync
poweroff -f 2>/dev/null
busybox poweroff -f 2>/dev/null
echo o >/proc/sysrq-trigger
sleep 10
