# A VF function-level reset from the guest (echo 1 > /sys/bus/pci/devices/BDF/reset) while a job
# runs: the trace must show the job still running when the reset arrived.
# aie4-pending: needs CERT's time-sliced command processor (a job that is still running when the
# guest's next MMIO access arrives), not in main yet; today a job runs to completion inside one
# deferred run, so no reset can arrive while it runs.
# aie4-test: attach=pf,vf0 group=driver
echo "not implemented: pending the time-sliced CERT" >&2
exit 1
