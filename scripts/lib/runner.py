#!/usr/bin/env python3
"""The test runner behind `./aie4 test` and `./aie4 run-suite` (Python 3, standard library only).

scripts/lib/test.sh calls it twice: first with --plan (selection only: it fails on unknown
names or an empty selection before anything is built, and tells the shell what to build),
then to run. Environment from ./aie4: AIE4_ROOT, AIE4_BUILD, AIE4_BUILD_ASAN.

Tests and their groups:
  unit-*   Catch2 executables (tests/unit/<layer>/meson.build), group `unit`; counted per
           testcase of Catch2's own JUnit report
  fuzz-*   fuzz drivers' smoke runs (tests/fuzz/meson.build), group `fuzz`; one test each
  guest    tests/guest/*.sh, group `guest` (+ `xrt` with rootfs=xrt, + their `group=` keys)
  host     tests/host/*.sh, group `host` (+ their `group=` keys; `builds=T,...` names the
           plain-build targets a host test runs beyond the emulator and the guest programs)
  suite    run-suite DIR/*.sh: guest scripts of a user, group `suite` (+ `group=` keys)
The last line of the output is always "N passed, N failed"; with --junit FILE the JUnit
file's counts are the same numbers.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(os.environ.get("AIE4_ROOT", Path(__file__).resolve().parents[2]))
BUILD = Path(os.environ.get("AIE4_BUILD", ROOT / "build"))
BUILD_ASAN = Path(os.environ.get("AIE4_BUILD_ASAN", ROOT / "build-asan"))

FUZZ_INPUTS = 300            # pseudo-random inputs per fuzz smoke run (fixed seed 1)
# fuzz-device builds and boots a whole device per input: about 3 inputs/s under ASan, so 300
# took 96 s of CI. Its surfaces are fuzzed one layer at a time by the libFuzzer targets.
FUZZ_INPUTS_OF = {"fuzz-device": 100}
FUZZ_CI_SECONDS = 30         # CI: each libFuzzer target's run on its corpus after its smoke run
DEFAULT_TIMEOUT = 300        # seconds per guest boot
INIT_TIMEOUT = 240           # seconds a guest test's init has to start before that boot counts as hung
# The runner's own test (tests/host/runner-boot-hang.sh) makes each test's first boot hang before
# its init (the kernel runs a shell that waits for input instead of the init) and cuts that
# boot's init timeout to this many seconds; nothing else sets it.
HANG_FIRST_BOOT = os.environ.get("AIE4_TEST_HANG_FIRST_BOOT")
HOST_TEST_TIMEOUT = 1800     # seconds per host test (each drives several guests) unless its header's timeout=
TAIL_LINES = 40              # console lines in a failure message
KEEP_RESULT_RUNS = 10        # default result folders kept under build/results/

GUEST_KEYS = {"attach", "vfs", "identity", "rootfs", "expect", "emu-arg", "group", "fault", "timeout"}
GROUP_RX = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class SelectionError(Exception):
    """Bad options or a selection that names nothing: exit status 2, nothing runs."""


def step(msg: str) -> None:
    print(f"[aie4] {msg}", file=sys.stderr, flush=True)


# ---- discovery ---------------------------------------------------------------------------------
@dataclass
class Test:
    name: str
    kind: str                       # unit | fuzz | guest | host | suite
    path: Path                      # script, or the meson.build that defines the executable
    groups: set[str] = field(default_factory=set)
    attach: str = "pf,vf0"
    vfs: str = ""
    identity: str = ""
    rootfs: str = "initramfs"
    expect: int = 0
    emu_args: list[str] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)               # ./aie4 boot --fault, one each
    timeout: int = 0                                              # 0: the run's --timeout
    pending: str = ""               # "# aie4-pending: REASON": written, not runnable yet
    builds: list[str] = field(default_factory=list)  # host tests: plain-build targets they run
    traces: list[tuple[str, str]] = field(default_factory=list)   # (fn, regex), in order


def parse_header(path: Path, test: Test, allowed: set[str], traces: bool) -> None:
    """`# aie4-test: key=value ...` and `# aie4-trace FN: REGEX` lines (tests/guest/README.md)."""
    try:
        text = path.read_text(errors="replace")
    except OSError as e:
        raise SelectionError(f"{path}: cannot read ({e.strerror})")
    for lineno, line in enumerate(text.splitlines(), 1):
        m = re.match(r"^# aie4-test:\s*(.*)$", line)
        if m:
            for kv in m.group(1).split():
                key, eq, value = kv.partition("=")
                if not eq or key not in allowed:
                    raise SelectionError(f"{path}:{lineno}: unknown aie4-test key '{kv}' "
                                         f"(known: {', '.join(sorted(allowed))})")
                if key == "group":
                    for g in value.split(","):
                        if not GROUP_RX.match(g):
                            raise SelectionError(f"{path}:{lineno}: bad group name '{g}'")
                        test.groups.add(g)
                elif key == "emu-arg":
                    test.emu_args.append(value)
                elif key == "fault":
                    test.faults.append(value)
                elif key == "builds":
                    test.builds += [b for b in value.split(",") if b]
                elif key == "timeout":
                    if not value.isdigit() or int(value) < 1:
                        raise SelectionError(f"{path}:{lineno}: timeout= needs seconds")
                    test.timeout = int(value)
                elif key == "expect":
                    if not value.isdigit() or int(value) > 255:
                        raise SelectionError(f"{path}:{lineno}: expect= needs an exit status 0..255")
                    test.expect = int(value)
                elif key == "rootfs":
                    if value not in ("initramfs", "xrt"):
                        raise SelectionError(f"{path}:{lineno}: rootfs= must be initramfs or xrt")
                    test.rootfs = value
                else:
                    setattr(test, key, value)
            continue
        m = re.match(r"^# aie4-pending:\s*(.*)$", line)
        if m:
            test.pending = test.pending or m.group(1).strip() or "pending"
            continue
        m = re.match(r"^# aie4-trace ([a-z0-9]+):\s*(.*)$", line)
        if m:
            if not traces:
                raise SelectionError(f"{path}:{lineno}: aie4-trace lines belong to guest scripts")
            try:
                re.compile(m.group(2))
            except re.error as e:
                raise SelectionError(f"{path}:{lineno}: bad trace regex ({e})")
            test.traces.append((m.group(1), m.group(2)))
    if test.rootfs == "xrt":
        test.groups.add("xrt")


def guest_test(path: Path, kind: str) -> Test:
    t = Test(name=path.stem, kind=kind, path=path, groups={kind})
    parse_header(path, t, GUEST_KEYS, traces=True)
    return t


def meson_executables(meson_file: Path, prefix: str) -> list[str]:
    rx = re.compile(r"executable\(\s*'(" + re.escape(prefix) + r"[A-Za-z0-9_.-]+)'")
    return rx.findall(meson_file.read_text()) if meson_file.is_file() else []


def discover_project() -> list[Test]:
    tests: list[Test] = []
    for mf in sorted((ROOT / "tests/unit").glob("*/meson.build")):
        tests += [Test(name=n, kind="unit", path=mf, groups={"unit"}) for n in meson_executables(mf, "unit-")]
    mf = ROOT / "tests/fuzz/meson.build"
    tests += [Test(name=n, kind="fuzz", path=mf, groups={"fuzz"}) for n in meson_executables(mf, "fuzz-")]
    tests += [guest_test(p, "guest") for p in sorted((ROOT / "tests/guest").glob("*.sh"))]
    for p in sorted((ROOT / "tests/host").glob("*.sh")):
        if p.name == "lib.sh":
            continue
        t = Test(name=p.stem, kind="host", path=p, groups={"host"})
        parse_header(p, t, {"group", "timeout", "builds"}, traces=False)
        tests.append(t)
    check_unique(tests)
    return tests


def discover_suite(directory: Path) -> list[Test]:
    if not directory.is_dir():
        raise SelectionError(f"'{directory}' is not a directory")
    tests = [guest_test(p, "suite") for p in sorted(directory.glob("*.sh"))]
    if not tests:
        raise SelectionError(f"no *.sh guest scripts in '{directory}'")
    check_unique(tests)
    return tests


def check_unique(tests: list[Test]) -> None:
    seen: dict[str, Test] = {}
    for t in tests:
        if t.name in seen:
            raise SelectionError(f"two tests are named '{t.name}': {seen[t.name].path} and {t.path}")
        seen[t.name] = t


# ---- selection ---------------------------------------------------------------------------------
def shard_of(name: str, count: int) -> int:
    """1-based shard of a test: depends on its name only, so a test stays in its shard whatever
    else is added or removed (sha256, not Python's per-process salted hash())."""
    return int(hashlib.sha256(name.encode()).hexdigest()[:16], 16) % count + 1


def parse_shard(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d+)/(\d+)", text or "")
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise SelectionError(f"--shard wants I/N with 1 <= I <= N (got '{text}')")
    return int(m.group(1)), int(m.group(2))


def select(tests: list[Test], args) -> tuple[list[Test], list[Test]]:
    """(selected before sharding, this shard's tests). Unknown names/groups and an empty
    selection are errors; an empty shard is not (more shards than tests is a valid setup)."""
    names = {t.name for t in tests}
    groups = set().union(*(t.groups for t in tests)) if tests else set()
    # --only a,b and --group a,b mean the same as repeating the option.
    args.only = [n for v in args.only for n in v.split(",") if n]
    args.group = [g for v in args.group for g in v.split(",") if g]
    for n in args.only:
        if n not in names:
            close = [x for x in sorted(names) if n in x or x in n][:5]
            raise SelectionError(f"--only {n}: no such test" + (f" (did you mean {', '.join(close)}?)" if close else "")
                                 + " (./aie4 test --list shows every test)")
    for g in args.group:
        if g not in groups:
            raise SelectionError(f"--group {g}: no test is in this group (groups: {', '.join(sorted(groups))})")
    chosen = tests
    if args.only or args.group:
        chosen = [t for t in tests if t.name in args.only or t.groups & set(args.group)]
    if args.kinds:
        chosen = [t for t in chosen if t.kind in args.kinds]
    if not chosen:
        raise SelectionError("the selection is empty: no test matches the given options")
    shard = chosen
    if args.shard:
        i, n = parse_shard(args.shard)
        shard = [t for t in chosen if shard_of(t.name, n) == i]
    return chosen, shard


# ---- results -----------------------------------------------------------------------------------
@dataclass
class Result:
    test: Test
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    summary: str = ""               # one-line verdict for the progress line
    message: str = ""               # JUnit failure message (first line of why)
    details: str = ""               # JUnit failure text (reasons, console tail, emulator status)
    flaky: str = ""                 # passed or failed on a second boot: why the first one did not count
    suite: ET.Element | None = None  # unit tests: the testsuite element from Catch2's report


def init_started(console: Path) -> bool:
    """Whether the guest init printed its ready line (guest-driver/init/init.sh)."""
    try:
        return any(ln.startswith("AIE4-READY") for ln in console.read_text(errors="replace").splitlines())
    except OSError:
        return False


def tail(path: Path, n: int) -> str:
    try:
        lines = [ln for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return f"({path.name} missing)"
    return "\n".join(lines[-n:])


# ---- running one test --------------------------------------------------------------------------
class Runner:
    def __init__(self, args, results: Path, unit_dir: Path):
        self.args = args
        self.results = results
        self.unit_dir = unit_dir
        self.lock = threading.Lock()
        self.aie4 = str(ROOT / "aie4")
        self.children: set[subprocess.Popen] = set()
        self.stopped_by = 0          # the signal that stopped the run, 0 while it goes on

    def spawn(self, cmd: list[str], log: Path, env=None, timeout=None) -> int:
        """Runs cmd with its output in log; each child leads a process group of its own, so
        that a stopped run can stop it with everything it started (QEMU, aie4emu)."""
        with open(log, "wb") as f:
            p = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                 env=env, cwd=ROOT, start_new_session=True)
        with self.lock:
            self.children.add(p)
        try:
            return p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill(p)
            p.wait()
            return 124
        finally:
            with self.lock:
                self.children.discard(p)

    @staticmethod
    def kill(p: subprocess.Popen) -> None:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass

    def stop(self, signum, _frame) -> None:
        """SIGINT/SIGTERM: stop every running test's process group; queued tests do not start."""
        self.stopped_by = signum
        with self.lock:
            for p in list(self.children):
                self.kill(p)

    def run(self, t: Test) -> Result:
        out = self.results / t.name
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        start = time.monotonic()
        if self.stopped_by:
            r = Result(t, failed=1, summary="not run: the run was stopped", message="not run: the run was stopped")
            self.report(r, out)
            return r
        try:
            r = {"unit": self.run_unit, "fuzz": self.run_fuzz, "guest": self.run_guest,
                 "suite": self.run_guest, "host": self.run_host}[t.kind](t, out)
        except Exception as e:   # a runner bug must show up as a failed test, not vanish
            r = Result(t, failed=1, summary=f"runner error: {e!r}", message=f"runner error: {e!r}",
                       details=f"runner error: {e!r}")
        r.seconds = time.monotonic() - start
        (out / "result.json").write_text(json.dumps({
            "name": t.name, "kind": t.kind, "groups": sorted(t.groups), "passed": r.passed,
            "failed": r.failed, "skipped": r.skipped, "seconds": round(r.seconds, 3),
            "summary": r.summary, "message": r.message}, indent=1) + "\n")
        self.report(r, out)
        return r

    def report(self, r: Result, out: Path) -> None:
        t = r.test
        label = {"unit": "unit", "fuzz": "fuzz", "guest": "guest", "suite": "script", "host": "host"}[t.kind]
        with self.lock:
            if r.failed:
                if r.details:
                    print("\n".join("    " + ln for ln in r.details.splitlines()[-(TAIL_LINES + 20):]),
                          file=sys.stderr)
                step(f"{label} {t.name}: FAILED: {r.summary} ({r.seconds:.1f} s; results in {out})")
            else:
                step(f"{label} {t.name}: {r.summary} ({r.seconds:.1f} s)")

    # Catch2 executable: its own JUnit reporter writes the report; the console reporter's text
    # goes to a log for people only.
    def run_unit(self, t: Test, out: Path) -> Result:
        exe = next(iter(sorted(self.unit_dir.glob(f"tests/unit/*/{t.name}"))), None)
        if exe is None:
            return Result(t, failed=1, summary=f"not built in {self.unit_dir}",
                          message=f"{t.name} is not built in {self.unit_dir}", details="")
        report = out / "junit.xml"
        rc = self.spawn([str(exe), "--reporter", f"junit::out={report}",
                         "--reporter", "console::out=-::colour-mode=none"], out / "output.log")
        suite = ET.Element("testsuite", name=t.name)
        try:
            parsed = ET.parse(report).getroot()
            found = parsed if parsed.tag == "testsuite" else parsed.find("testsuite")
            if found is None:
                raise ValueError("no testsuite element")
            for case in found.iter("testcase"):
                suite.append(case)
            props = found.find("properties")
            if props is not None:
                suite.insert(0, props)
        except (ET.ParseError, OSError, ValueError) as e:
            suite.append(error_case(t.name, f"{t.name}: no readable JUnit report ({e}); exit status {rc}",
                                    tail(out / "output.log", TAIL_LINES)))
        cases = suite.findall("testcase")
        failed = sum(1 for c in cases if c.find("failure") is not None or c.find("error") is not None)
        skipped = sum(1 for c in cases if c.find("skipped") is not None and c.find("failure") is None
                      and c.find("error") is None)
        if rc != 0 and failed == 0:
            # A crash after the last test case, a leak report at exit, ...: the report alone
            # would call it a pass.
            suite.append(error_case(t.name, f"{t.name} exited with status {rc} although no test case failed",
                                    tail(out / "output.log", TAIL_LINES)))
            cases = suite.findall("testcase")
            failed += 1
        passed = len(cases) - failed - skipped
        r = Result(t, passed=passed, failed=failed, skipped=skipped, suite=suite,
                   summary=f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
        if failed:
            r.details = tail(out / "output.log", 60)
        return r

    def run_fuzz(self, t: Test, out: Path) -> Result:
        exe = self.unit_dir / "tests/fuzz" / t.name
        if not exe.is_file():
            return Result(t, failed=1, summary=f"not built in {self.unit_dir}",
                          message=f"{t.name} is not built in {self.unit_dir}")
        inputs = FUZZ_INPUTS_OF.get(t.name, FUZZ_INPUTS)
        rc = self.spawn([str(exe), "--random", str(inputs), "1"], out / "output.log")
        # Under CI the sanitizer build also has the target's libFuzzer build: it runs
        # FUZZ_CI_SECONDS on the repository corpus (./aie4 fuzz); a crash fails this test.
        libfuzzer = exe.with_name(t.name.replace("fuzz-", "libfuzzer-", 1))
        if rc == 0 and os.environ.get("CI") == "true" and libfuzzer.is_file():
            rc = self.spawn([self.aie4, "fuzz", t.name[len("fuzz-"):], "--time", str(FUZZ_CI_SECONDS)],
                            out / "libfuzzer.log")
            if rc != 0:
                msg = f"./aie4 fuzz {t.name[len('fuzz-'):]} --time {FUZZ_CI_SECONDS} found a crash (exit {rc})"
                return Result(t, failed=1, summary=f"libFuzzer exit {rc}", message=msg,
                              details=msg + "\n--- output (last lines) ---\n" + tail(out / "libfuzzer.log", 30))
            return Result(t, passed=1, summary=f"{inputs} inputs and {FUZZ_CI_SECONDS} s of libFuzzer, passed")
        if rc == 0:
            return Result(t, passed=1, summary=f"{inputs} inputs, passed")
        msg = f"{t.name} --random {inputs} 1 exited with status {rc}"
        return Result(t, failed=1, summary=f"exit {rc}", message=msg,
                      details=msg + "\n--- output (last lines) ---\n" + tail(out / "output.log", 30))

    def boot_command(self, t: Test, out: Path, first: bool = False) -> list[str]:
        timeout = t.timeout or self.args.timeout
        hang = first and HANG_FIRST_BOOT
        cmd = [self.aie4, "boot", "--script", str(t.path), "--attach", t.attach, "--rootfs", t.rootfs,
               "--timeout", str(timeout), "--boot-timeout", HANG_FIRST_BOOT if hang else str(min(timeout, INIT_TIMEOUT)),
               "--save", str(out)]
        if hang:
            cmd += ["--kernel-args", "rdinit=/bin/sh"]
        for f in t.faults:
            cmd += ["--fault", f]
        if t.vfs:
            cmd += ["--vfs", t.vfs]
        if t.identity:
            cmd += ["--identity", t.identity]
        for a in t.emu_args:
            cmd += ["--emu-arg", a]
        if self.args.driver:
            cmd += ["--driver", self.args.driver]
        if self.args.driver_args is not None:
            cmd += ["--driver-args", self.args.driver_args]
        return cmd

    def run_guest(self, t: Test, out: Path) -> Result:
        if t.pending:
            # Written but waiting for something not in the tree yet (the file says what): not run,
            # reported as skipped with the reason.
            return Result(t, skipped=1, summary=f"pending: {t.pending}", message=f"pending: {t.pending}")
        cmd = self.boot_command(t, out, first=True)
        (out / "command.txt").write_text(" ".join(cmd) + "\n")
        env = dict(os.environ, AIE4EMU_BUILD=str(BUILD))
        rc = self.spawn(cmd, out / "boot.log", env=env)
        flaky = ""
        if rc == 124 and not init_started(out / "console.log") and not self.stopped_by:
            # The guest hung before its init started: nothing of the test ran, and the device was
            # touched only by the kernel's PCI scan. That boot is kept in first-boot/ (its kernel
            # log shows where the kernel stopped) and the test boots once more; the result says so.
            first = out / "first-boot"
            first.mkdir()
            for f in list(out.iterdir()):
                if f != first:
                    f.rename(first / f.name)
            cmd = self.boot_command(t, out)
            (out / "command.txt").write_text(" ".join(cmd) + "\n")
            last = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|[\x00-\x1f\x7f]", "", tail(first / "dmesg.txt", 1)).strip()
            flaky = f"the first boot hung before the guest's init started (kernel log ends: {last}; first-boot/)"
            step(f"guest {t.name}: {flaky}; booting again")
            rc = self.spawn(cmd, out / "boot.log", env=env)
        r = self.check_guest(t, out, rc)
        r.flaky = flaky
        if flaky:
            r.summary += f" (on a second boot: {flaky})"
            if r.failed:
                r.details = f"on a second boot: {flaky}\n" + r.details
        return r

    def check_guest(self, t: Test, out: Path, rc: int) -> Result:
        reasons = []
        if rc != t.expect:
            what = {124: " (timed out)", 125: " (the guest did not boot or did not report a result)",
                    2: " (bad options, or aie4emu did not start)"}.get(rc, "")
            reasons.append(f"exit status {rc}{what}, expected {t.expect}")
        for fn in dict.fromkeys(fn for fn, _ in t.traces):
            why = check_trace_order(out / f"{fn}.trace.json", [rx for f, rx in t.traces if f == fn])
            if why:
                reasons.append(why)
        status_text = ""
        try:
            status_text = (out / "status.json").read_text()
            if not json.loads(status_text).get("ok"):
                reasons.append("aie4emu's status reply is not ok")
        except (OSError, ValueError):
            reasons.append("aie4emu did not answer its control socket after the guest stopped")
        if not reasons:
            return Result(t, passed=1, summary="passed")
        console = out / "console.log" if (out / "console.log").exists() else out / "boot.log"
        details = "\n".join(reasons) + \
            f"\n--- console, last {TAIL_LINES} lines ({console}) ---\n" + tail(console, TAIL_LINES) + \
            "\n--- boot ---\n" + tail(out / "boot.log", 6) + \
            f"\n--- guest kernel log, last 15 lines ---\n" + tail(out / "dmesg.txt", 15) + \
            "\n--- emulator status (aie4ctl status) ---\n" + (status_text.strip()[:3000] or "(no answer)") + \
            "\n--- aie4emu.log, last lines ---\n" + tail(out / "aie4emu.log", 10)
        return Result(t, failed=1, summary="; ".join(reasons), message="; ".join(reasons), details=details)

    def run_host(self, t: Test, out: Path) -> Result:
        env = dict(os.environ, AIE4EMU_BUILD=str(BUILD), AIE4_HOST_TEST_OUT=str(out))
        rc = self.spawn(["bash", str(t.path)], out / "test.log", env=env, timeout=t.timeout or HOST_TEST_TIMEOUT)
        if rc == 0:
            return Result(t, passed=1, summary="passed")
        msg = f"{t.path.name} exited with status {rc}" + (" (timed out)" if rc == 124 else "")
        return Result(t, failed=1, summary=msg, message=msg,
                      details=msg + f"\n--- test.log, last {TAIL_LINES} lines ---\n" + tail(out / "test.log", TAIL_LINES))


def error_case(classname: str, message: str, text: str) -> ET.Element:
    case = ET.Element("testcase", classname=classname, name="(exit status)", time="0")
    err = ET.SubElement(case, "error", message=message, type="exit")
    err.text = text
    return case


def check_trace_order(path: Path, patterns: list[str]) -> str:
    """'' when the regexes match lines of the trace in this order; else why not."""
    try:
        lines = json.loads(path.read_text())["lines"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        return f"trace {path.name}: unreadable ({e})"
    i = 0
    for p in patterns:
        rx = re.compile(p)
        while i < len(lines) and not rx.search(lines[i]):
            i += 1
        if i == len(lines):
            return f"trace {path.name}: no line matching /{p}/ after the previous match"
        i += 1
    return ""


# ---- JUnit -------------------------------------------------------------------------------------
XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(s: str) -> str:
    """Console text may hold control characters that XML 1.0 cannot carry."""
    return XML_BAD.sub("?", s)


def junit(results: list[Result], name: str, seconds: float) -> ET.ElementTree:
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    host = socket.gethostname()
    root = ET.Element("testsuites", name=name)
    by_suite: dict[str, ET.Element] = {}
    for r in results:
        if r.suite is not None:
            suite = r.suite
            suite.set("time", f"{r.seconds:.3f}")
            root.append(suite)
            continue
        key = r.test.kind if r.test.kind != "suite" else f"suite.{r.test.path.parent.name}"
        suite = by_suite.get(key)
        if suite is None:
            suite = by_suite[key] = ET.SubElement(root, "testsuite", name=key)
        case = ET.SubElement(suite, "testcase", classname=key, name=r.test.name, time=f"{r.seconds:.3f}")
        if r.failed:
            f = ET.SubElement(case, "failure", message=clean(r.message or r.summary), type="failed")
            f.text = clean(r.details)
        elif r.skipped:
            ET.SubElement(case, "skipped", message=clean(r.message or r.summary))
        if r.flaky and r.passed:
            ET.SubElement(case, "flakyFailure", message=clean(r.flaky), type="boot-hang")
    totals = dict(tests=0, failures=0, errors=0, skipped=0)
    for suite in root.findall("testsuite"):
        cases = suite.findall("testcase")
        n = dict(tests=len(cases),
                 failures=sum(1 for c in cases if c.find("failure") is not None),
                 errors=sum(1 for c in cases if c.find("failure") is None and c.find("error") is not None),
                 skipped=sum(1 for c in cases if c.find("skipped") is not None and c.find("failure") is None
                             and c.find("error") is None))
        for k, v in n.items():
            suite.set(k, str(v))
            totals[k] += v
        if suite.get("time") is None:
            suite.set("time", f"{sum(float(c.get('time', 0)) for c in cases):.3f}")
        suite.set("timestamp", stamp)
        suite.set("hostname", host)
        # Order the children as the schema wants: properties, testcase*, system-out, system-err.
        props = suite.find("properties")
        children = [c for c in suite if c.tag == "testcase"]
        for c in list(suite):
            suite.remove(c)
        suite.append(props if props is not None else ET.Element("properties"))
        suite.extend(children)
        ET.SubElement(suite, "system-out")
        ET.SubElement(suite, "system-err")
    for k, v in totals.items():
        if k != "skipped":
            root.set(k, str(v))
    root.set("time", f"{seconds:.3f}")
    ET.indent(root)
    return ET.ElementTree(root)


# ---- results folder ----------------------------------------------------------------------------
def results_dir(args, command: str) -> Path:
    if args.results:
        d = Path(args.results).resolve()
        d.mkdir(parents=True, exist_ok=True)
        return d
    base = BUILD / "results"
    base.mkdir(parents=True, exist_ok=True)
    # Unique per run (time and pid), so concurrent runs never share a folder.
    d = base / f"{command}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    d.mkdir()
    runs = sorted((p for p in base.iterdir() if p.is_dir() and not p.is_symlink()
                   and re.match(r"^[a-z-]+-\d{8}-\d{6}-\d+$", p.name)), key=lambda p: p.stat().st_mtime)
    for old in runs[:-KEEP_RESULT_RUNS]:
        shutil.rmtree(old, ignore_errors=True)
    latest = base / "latest"
    try:
        if latest.is_symlink() or latest.exists():
            latest.unlink()
        latest.symlink_to(d.name)
    except OSError:
        pass   # a concurrent run moved it: the printed path is what counts
    return d


# ---- command line ------------------------------------------------------------------------------
TEST_HELP = """\
Sets up if needed, builds, and runs the selected tests (default: all of them):
  unit-*    one Catch2 executable per layer, counted per testcase of Catch2's JUnit report
  fuzz-*    each fuzz driver on a fixed set of pseudo-random inputs, one test each
  guest     tests/guest/*.sh, each in its own guest with its own aie4emu (./aie4 boot --script);
            ordered trace assertions checked against the emulator's recorded traces
  host      tests/host/*.sh, scripts that drive several guests and emulators themselves
Groups: unit, fuzz, guest, host, xrt (guest tests with rootfs=xrt), and any `group=` a test's
header names (tests/guest/README.md), e.g. driver. Ends with one line "N passed, N failed";
exit status 0 when nothing failed, 1 when a test failed, 2 for bad options or a selection that
names an unknown test or group or selects nothing. Under CI (CI=true) or with --asan, unit and
fuzz tests run in the ASan+UBSan build; guest tests always use the plain build.
Each test's outputs go to RESULTS/NAME/ (layout: docs/user-guide.md, "Saved results")."""

SUITE_HELP = """\
Runs every guest script DIR/*.sh in its own guest with its own aie4emu, N at a time; the
header lines of tests/guest/README.md apply (attach, vfs, identity, rootfs, expect, emu-arg,
group, ordered aie4-trace assertions). A script passes when its exit status is the expected
one, its trace assertions hold and the emulator still answers after the guest stopped.
Ends with "N passed, N failed"; exit status 1 when a script failed, 2 for bad options.
Each script's console, dmesg, device traces and status go to RESULTS/NAME/ (layout:
docs/user-guide.md, "Saved results")."""


def parser(command: str) -> argparse.ArgumentParser:
    if command == "test":
        p = argparse.ArgumentParser(prog="./aie4 test", description=TEST_HELP,
                                    formatter_class=argparse.RawDescriptionHelpFormatter)
    else:
        p = argparse.ArgumentParser(prog="./aie4 run-suite", description=SUITE_HELP,
                                    formatter_class=argparse.RawDescriptionHelpFormatter)
        p.add_argument("dir", metavar="DIR", help="folder of guest scripts (*.sh)")
    p.add_argument("--only", action="append", default=[], metavar="NAME",
                   help="run test NAME (repeatable, or NAME,NAME...; with --group: the union)")
    p.add_argument("--group", action="append", default=[], metavar="G",
                   help="run the tests of group G (repeatable, or G,G...)")
    p.add_argument("--list", action="store_true", help="print the selected tests (name, kind, groups) and exit")
    p.add_argument("--jobs", "-j", type=int, default=1, metavar="N",
                   help="guest/host tests run N at a time, each with its own guest and emulator (default 1)")
    if command == "test":
        p.add_argument("--unit-jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                       help="unit tests and fuzz smoke runs N at a time, before the guests (default: the CPU count)")
    p.add_argument("--shard", metavar="I/N",
                   help="run shard I of N (1-based): a test's shard depends on its name only "
                        "(sha256 of the name, mod N), so it never moves between shards")
    p.add_argument("--junit", metavar="FILE", help="write a JUnit XML report to FILE")
    p.add_argument("--results", metavar="DIR",
                   help="keep each test's outputs in DIR/NAME/ (default: a new build/results/<command>-<time>-<pid>/, "
                        "build/results/latest points to it)")
    p.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT, metavar="S",
                   help=f"stop a guest after S seconds (default {DEFAULT_TIMEOUT})")
    p.add_argument("--driver", metavar="PATH.ko", help="passed to every guest boot as --driver PATH.ko")
    p.add_argument("--driver-args", metavar="STR", help="passed to every guest boot as --driver-args STR")
    if command == "test":
        p.add_argument("--asan", dest="asan", action="store_const", const=1,
                       help="unit and fuzz tests in the ASan+UBSan build (default under CI=true)")
        p.add_argument("--no-asan", dest="asan", action="store_const", const=0,
                       help="unit and fuzz tests in the plain build")
        p.add_argument("--guest-only", dest="kinds", action="store_const", const={"guest", "host"},
                       help="only guest and host tests")
        p.add_argument("--unit-only", dest="kinds", action="store_const", const={"unit", "fuzz"},
                       help="only unit tests and fuzz smoke runs")
    p.add_argument("--plan", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--unit-build", metavar="DIR", help=argparse.SUPPRESS)
    return p


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("test", "run-suite"):
        print("usage: runner.py test|run-suite [options]", file=sys.stderr)
        return 2
    command = argv[0]
    p = parser(command)
    args = p.parse_args(argv[1:])   # exits 2 on bad options
    if command == "run-suite":
        args.kinds = None
        args.asan = 0
    try:
        if args.jobs < 1 or getattr(args, "unit_jobs", 1) < 1:
            raise SelectionError("--jobs and --unit-jobs want a number >= 1")
        if args.timeout < 1:
            raise SelectionError("--timeout wants seconds >= 1")
        if args.driver and not Path(args.driver).is_file():
            raise SelectionError(f"--driver {args.driver}: no such file")
        if args.driver:
            args.driver = str(Path(args.driver).resolve())
        tests = discover_project() if command == "test" else discover_suite(Path(args.dir).resolve())
        chosen, mine = select(tests, args)
    except SelectionError as e:
        print(f"aie4 {command}: error: {e}", file=sys.stderr)
        return 2
    asan = args.asan if args.asan is not None else int(os.environ.get("CI") == "true")

    if args.list:
        for t in mine:
            print(f"{t.name}\t{t.kind}\t{','.join(sorted(t.groups))}")
        if args.shard:
            step(f"shard {args.shard}: {len(mine)} of {len(chosen)} selected tests")
        return 0
    if args.plan:
        # What the shell must build before the run.
        kinds = {t.kind for t in mine}
        print(f"unit {int(bool(kinds & {'unit', 'fuzz'}))}")
        print(f"asan {asan}")
        print(f"guest {int(bool(kinds & {'guest', 'suite', 'host'}))}")
        print(f"xrt {int(any(t.rootfs == 'xrt' for t in mine if t.kind in ('guest', 'suite')))}")
        # The unit and fuzz executables that run from the plain build (none when they run in the
        # sanitizer build): the shell builds only what is needed there (build_targets.py).
        # A host test that runs more than the guest set names it in its header (builds=).
        plain = [t.name for t in mine if t.kind in ("unit", "fuzz") and not asan]
        plain += [b for t in mine if t.kind == "host" for b in t.builds]
        print("plain " + " ".join(dict.fromkeys(plain)))
        return 0

    results = results_dir(args, command)
    unit_dir = Path(args.unit_build) if args.unit_build else (BUILD_ASAN if asan else BUILD)
    runner = Runner(args, results, unit_dir)
    signal.signal(signal.SIGINT, runner.stop)
    signal.signal(signal.SIGTERM, runner.stop)
    t0 = time.monotonic()
    if args.shard:
        step(f"shard {args.shard}: {len(mine)} of {len(chosen)} selected tests")
    if not mine:
        step(f"shard {args.shard} holds none of the {len(chosen)} selected tests: nothing to run")
    serial = [t for t in mine if t.kind in ("unit", "fuzz")]
    # Host tests first: they take the longest (several guests each), and starting the long ones
    # first keeps a parallel run from ending with one long test running alone.
    booting = [t for t in mine if t.kind == "host"] + [t for t in mine if t.kind in ("guest", "suite")]
    unit_jobs = getattr(args, "unit_jobs", 1)
    with concurrent.futures.ThreadPoolExecutor(max_workers=unit_jobs) as pool:
        done: list[Result] = list(pool.map(runner.run, serial))
    if booting:
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            done += list(pool.map(runner.run, booting))
    seconds = time.monotonic() - t0
    passed = sum(r.passed for r in done)
    failed = sum(r.failed for r in done)
    skipped = sum(r.skipped for r in done)
    if args.junit:
        jpath = Path(args.junit)
        jpath.parent.mkdir(parents=True, exist_ok=True)
        junit(done, "aie4emu" if command == "test" else f"run-suite {Path(args.dir).name}", seconds) \
            .write(jpath, encoding="UTF-8", xml_declaration=True)
        step(f"JUnit report: {jpath}")
    step(f"tests took {seconds:.1f} s (--jobs {args.jobs}); results in {results}")
    if skipped:
        step(f"{skipped} skipped (not counted below)")
    twice = [r.test.name for r in done if r.flaky]
    if twice:
        step("booted twice (the first boot hung before the guest's init; kept in first-boot/): " + " ".join(twice))
    bad = [r.test.name for r in done if r.failed]
    if bad:
        step("failed: " + " ".join(bad))
    sys.stderr.flush()
    print(f"{passed} passed, {failed} failed", flush=True)
    if runner.stopped_by:
        return 128 + runner.stopped_by
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
