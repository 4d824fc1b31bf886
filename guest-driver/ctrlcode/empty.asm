; The smallest real control code: one job that does nothing (docs/spec/queue-and-cert.md §8.2).
; aie4-umq-test --workload empty submits this; CERT must complete it with state 4.
START_JOB 0
END_JOB
EOF
