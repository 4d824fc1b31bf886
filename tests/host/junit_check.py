#!/usr/bin/env python3
"""Checks a JUnit XML file against the rules of the JUnit schema that Jenkins, GitLab and most
CI systems read (the Jenkins/Surefire "junit" XSD: which elements may appear where, in which
order, with which attributes, which are required, and the number formats), plus the counts a CI
system shows: every testsuite's tests/failures/errors/skipped equal what its testcases hold.
No XSD engine is in Python's standard library or in the host dependencies, so the rules are
written out here.

usage: junit_check.py FILE [--passed N --failed N]   (exit 0 valid; 1 with one line per problem)
--passed/--failed: the totals must equal these (the runner's "N passed, N failed" line).
"""
import argparse
import re
import sys
import xml.etree.ElementTree as ET

INT = re.compile(r"^\d+$")
DECIMAL = re.compile(r"^\d*\.?\d+$")

SUITES_ATTRS = {"name", "time", "tests", "failures", "disabled", "errors"}
SUITE_ATTRS = {"name", "tests", "failures", "errors", "group", "time", "skipped", "timestamp",
               "hostname", "id", "package", "file", "log", "url", "version", "disabled"}
SUITE_REQUIRED = {"name", "tests"}
CASE_ATTRS = {"name", "assertions", "time", "timestamp", "classname", "status", "class", "file",
              "line", "log", "group", "url"}
CASE_REQUIRED = {"name"}
CASE_CHILDREN = {"skipped", "error", "failure", "rerunFailure", "rerunError", "flakyFailure",
                 "flakyError", "system-out", "system-err"}
SUITE_ORDER = ["properties", "testcase", "system-out", "system-err"]   # each at most once but testcase
NUMERIC_INT = {"tests", "failures", "errors", "skipped", "disabled", "assertions", "line"}


def check(path):
    problems = []
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as e:
        return [f"{path}: not well-formed XML ({e})"], None

    def attrs(el, allowed, required, where):
        for a, v in el.attrib.items():
            if a not in allowed:
                problems.append(f"{where}: attribute '{a}' is not allowed on <{el.tag}>")
            elif a in NUMERIC_INT and not INT.match(v):
                problems.append(f"{where}: {a}='{v}' is not a non-negative integer")
            elif a == "time" and not DECIMAL.match(v):
                problems.append(f"{where}: time='{v}' is not a decimal number of seconds")
        for a in required - set(el.attrib):
            problems.append(f"{where}: <{el.tag}> lacks the required attribute '{a}'")

    if root.tag == "testsuites":
        attrs(root, SUITES_ATTRS, set(), "testsuites")
        for child in root:
            if child.tag != "testsuite":
                problems.append(f"testsuites: <{child.tag}> is not allowed (only <testsuite>)")
        suites = root.findall("testsuite")
    elif root.tag == "testsuite":
        suites = [root]
    else:
        return [f"root element <{root.tag}> is neither <testsuites> nor <testsuite>"], None

    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for i, suite in enumerate(suites):
        where = f"testsuite[{i}] '{suite.get('name', '?')}'"
        attrs(suite, SUITE_ATTRS, SUITE_REQUIRED, where)
        last = -1
        seen = set()
        for child in suite:
            if child.tag not in SUITE_ORDER:
                problems.append(f"{where}: <{child.tag}> is not allowed in <testsuite>")
                continue
            pos = SUITE_ORDER.index(child.tag)
            if pos < last:
                problems.append(f"{where}: <{child.tag}> after <{SUITE_ORDER[last]}> (order: {', '.join(SUITE_ORDER)})")
            if child.tag != "testcase" and child.tag in seen:
                problems.append(f"{where}: more than one <{child.tag}>")
            seen.add(child.tag)
            last = max(last, pos)
        props = suite.find("properties")
        if props is not None:
            for p in props:
                if p.tag != "property":
                    problems.append(f"{where}: <{p.tag}> in <properties>")
                else:
                    attrs(p, {"name", "value"}, {"name", "value"}, where + " property")
        n = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for j, case in enumerate(suite.findall("testcase")):
            cw = f"{where} testcase[{j}] '{case.get('name', '?')}'"
            attrs(case, CASE_ATTRS, CASE_REQUIRED, cw)
            for child in case:
                if child.tag not in CASE_CHILDREN:
                    problems.append(f"{cw}: <{child.tag}> is not allowed in <testcase>")
                elif child.tag in ("failure", "error", "rerunFailure", "rerunError", "flakyFailure", "flakyError"):
                    attrs(child, {"message", "type"}, set(), cw)
                elif child.tag == "skipped":
                    attrs(child, {"message"}, set(), cw)
                elif len(child):
                    problems.append(f"{cw}: <{child.tag}> holds elements (text only)")
            if len(case.findall("skipped")) > 1:
                problems.append(f"{cw}: more than one <skipped>")
            n["tests"] += 1
            if case.find("failure") is not None:
                n["failures"] += 1
            elif case.find("error") is not None:
                n["errors"] += 1
            elif case.find("skipped") is not None:
                n["skipped"] += 1
        for k in ("tests", "failures", "errors", "skipped"):
            declared = suite.get(k)
            if declared is not None and INT.match(declared) and int(declared) != n[k]:
                problems.append(f"{where}: {k}={declared} but its testcases hold {n[k]}")
            totals[k] += n[k]
    if root.tag == "testsuites":
        for k in ("tests", "failures", "errors"):
            declared = root.get(k)
            if declared is not None and INT.match(declared) and int(declared) != totals[k]:
                problems.append(f"testsuites: {k}={declared} but the testsuites hold {totals[k]}")
    return problems, totals


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--passed", type=int)
    ap.add_argument("--failed", type=int)
    a = ap.parse_args()
    problems, totals = check(a.file)
    if totals is not None:
        failed = totals["failures"] + totals["errors"]
        passed = totals["tests"] - failed - totals["skipped"]
        if a.passed is not None and passed != a.passed:
            problems.append(f"{passed} testcases passed, expected {a.passed}")
        if a.failed is not None and failed != a.failed:
            problems.append(f"{failed} testcases failed, expected {a.failed}")
    for p in problems:
        print(f"junit_check: {a.file}: {p}")
    if problems:
        return 1
    print(f"junit_check: {a.file}: valid; {totals['tests']} tests, {totals['failures']} failures, "
          f"{totals['errors']} errors, {totals['skipped']} skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
