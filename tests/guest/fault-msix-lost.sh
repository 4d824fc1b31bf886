# Fault msix-lost (docs/driver-development.md): the VF's next 1000 completion MSI-X messages
# are lost; CERT still writes each completion word and read_index. The context's interrupt
# (xdna_hsa in /proc/interrupts) never fires while commands complete, and the driver logs
# nothing; a poll-mode user (completion word) is unaffected. Once the fault has struck 1000
# times the interrupts arrive again with the same driver instance (no reload needed).
# aie4-test: attach=pf,vf0 group=driver fault=msix-lost:fn=vf0:count=1000
# aie4-trace vf0: msix [0-9]+ lost \(injected fault\)
modprobe amdxdna || { echo "FAIL: modprobe"; exit 1; }
dmesg -c >/dev/null
hsa_irqs() { awk '/xdna_hsa/ { s = 0; for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+$/) s += $i; print s; exit }' /proc/interrupts; }
# run N: N commands in poll mode in the background; prints the context's interrupt count at the
# last moment it was seen (sampled every 0.02 s while the program runs), or "none".
run() {
    aie4-umq-test --count "$1" --wait poll >/tmp/out 2>&1 &
    pid=$! last=none
    while kill -0 $pid 2>/dev/null; do n=$(hsa_irqs); [ -n "$n" ] && last=$n; sleep 0.02; done
    wait $pid || { cat /tmp/out >&2; echo failed; return; }
    echo "$last"
}
lost=$(run 1000)
echo "with the fault: xdna_hsa interrupts seen $lost"
[ "$lost" = 0 ] || { echo "FAIL: expected 0 interrupts while completions arrive, got '$lost'"; exit 1; }
[ -z "$(dmesg | grep amdxdna | grep -vE "Use carveout mem|SVA bind device failed|PASID not available")" ] || { echo "FAIL: the driver logged something"; dmesg; exit 1; }
back=$(run 3000)   # long enough to be sampled while it runs
echo "after it struck 1000 times: xdna_hsa interrupts seen $back"
case $back in none|failed|0) echo "FAIL: no interrupts after the fault"; exit 1;; esac
aie4-umq-test --count 20 || { echo "FAIL: WAIT_CMD users after the fault"; exit 1; }
echo PASS
