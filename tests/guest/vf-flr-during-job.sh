# A VF function-level reset from the guest (echo 1 > /sys/bus/pci/devices/BDF/reset) while a job
# runs: the trace must show the job still running when the reset arrived.
# aie4-pending: needs the time-sliced CERT (not in main yet): a job now runs to completion in one step, so no reset can arrive while it runs
# (A job must still be running when the guest's next MMIO access, the reset, arrives.)
# aie4-test: attach=pf,vf0 group=driver
echo "not implemented: pending the time-sliced CERT" >&2
exit 1
