#!/usr/bin/env python3
"""--help and docs/command-line.md describe the same options, both ways.

For every program and every ./aie4 subcommand: each option printed by --help, and each value or
category --help lists for an option (identities, log categories, workloads, fault kinds, ...),
must appear in backticks in that program's part of docs/command-line.md; each option the docs
list there must be printed by --help. Usage: check_help_docs.py ROOT BUILD | --self-test
"""
import os
import re
import subprocess
import sys

OPTION = re.compile(r'(?<![\w-])(--?[A-Za-z][\w-]*)')
TICKED = re.compile(r'`([^`]+)`')
INDENT = 26  # cli::Formatter's column width: descriptions start here


def help_items(text):
    """Options and listed values of a --help text (CLI11 layout or ./aie4's heredocs)."""
    options, values = set(), set()
    for line in text.split('\n'):
        if line.startswith('usage:'):
            options.update(o for o in OPTION.findall(line) if o not in ('-', '--'))
            continue
        stripped = line.lstrip(' ')
        indent = len(line) - len(stripped)
        if re.match(r'--?[A-Za-z]', stripped) and 0 < indent < INDENT:
            name_part = re.split(r'\s{2,}', stripped, maxsplit=1)[0]
            options.update(OPTION.findall(name_part.replace(',', ' ')))
        elif indent >= INDENT + 2:
            m = re.match(r'^([\w.-]+): ', stripped)
            if m:
                values.add(m.group(1))
            elif re.fullmatch(r'[a-z]+( [a-z]+)*', stripped):
                values.update(stripped.split(' '))
    options.discard('--')
    return options, values


def doc_section(doc, heading, row=None):
    m = re.search(r'^## ' + re.escape(heading) + r'\s*$(.*?)(?=^## |\Z)', doc, re.M | re.S)
    if not m:
        return None
    text = m.group(1)
    if row is not None:
        r = re.search(r'^\| `' + re.escape(row) + r'` \|(.*)$', text, re.M)
        return r.group(1) if r else None
    return text


def doc_items(text):
    ticks = TICKED.findall(text)
    options = set()
    for t in ticks:
        options.update(OPTION.findall(t))
    return options, set(ticks)


def compare(name, help_text, section):
    errors = []
    if section is None:
        return [f'{name}: no part of docs/command-line.md describes it']
    h_opts, h_vals = help_items(help_text)
    d_opts, d_ticks = doc_items(section)
    for o in sorted(h_opts - d_opts):
        errors.append(f'{name}: --help prints {o}, docs/command-line.md does not describe it')
    for v in sorted(h_vals - d_ticks):
        errors.append(f'{name}: --help lists the value "{v}", docs/command-line.md does not name it')
    for o in sorted(d_opts - h_opts):
        if o not in help_text:
            errors.append(f'{name}: docs/command-line.md describes {o}, --help does not print it')
    return errors


def programs(root, build):
    b = lambda p: [os.path.join(build, p)]
    aie4 = os.path.join(root, 'aie4')
    return [
        ('aie4emu', b('emu/aie4emu'), ('aie4emu', None)),
        ('aie4ctl', b('emu/aie4ctl'), ('aie4ctl', None)),
        ('aie4-umq-test', b('guest-driver/aie4-umq-test'), ('aie4-umq-test', None)),
        ('aie4-query', b('guest-driver/aie4-query'), ('aie4-query', None)),
        ('aie4-ctrlcode', b('guest-driver/aie4-ctrlcode'), ('aie4-ctrlcode', None)),
        ('aie4-mkfw', b('firmware-stub/aie4-mkfw'), ('aie4-mkfw', None)),
        ('bench-mailbox', b('bench/bench-mailbox'), ('Benches', 'bench-mailbox')),
        ('bench-queue', b('bench/bench-queue'), ('Benches', 'bench-queue')),
        ('aie4-array-bench', b('bench/aie4-array-bench'), ('Benches', 'aie4-array-bench')),
        ('aie4-array-demo', b('bench/aie4-array-demo'), ('Benches', 'aie4-array-demo')),
    ] + [(f'./aie4 {c}', [aie4, c], ('./aie4', c)) for c in ('setup', 'build', 'test', 'run-suite', 'demo', 'boot', 'xrt', 'container', 'fuzz', 'driver', 'ctrlcode')]


def run_help(cmd):
    out = subprocess.run(cmd + ['--help'], capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise RuntimeError(f'{" ".join(cmd)} --help exited {out.returncode}: {out.stderr.strip()[:200]}')
    return out.stdout


def check(root, build):
    with open(os.path.join(root, 'docs/command-line.md'), encoding='utf-8') as f:
        doc = f.read()
    errors = []
    checked = 0
    for name, cmd, (heading, row) in programs(root, build):
        if not os.path.exists(cmd[0]):
            errors.append(f'{name}: {cmd[0]} was not built')
            continue
        try:
            text = run_help(cmd)
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            errors.append(f'{name}: {e}')
            continue
        errors += compare(name, text, doc_section(doc, heading, row))
        checked += 1
    # ./aie4 itself: every command it lists is in the table.
    top = run_help([os.path.join(root, 'aie4')])
    for cmd in re.findall(r'^  ([a-z][a-z-]*)\s', top, re.M):
        if f'| `{cmd}` |' not in (doc_section(doc, './aie4') or ''):
            errors.append(f'./aie4: command {cmd} is not in docs/command-line.md')
    return checked, errors


def self_test():
    doc = '## prog\n\n| `-h`, `--help` | x |\n| `--alpha N` | y |\n| `--gone` | z |\n\nvalues `red`\n'
    help_text = ('usage: prog [options]\n\nOptions:\n  -h,--help               help\n'
                 '  --alpha N               a\n  --beta                  b\n'
                 '  --colour red|blue       c:\n                            red: warm\n'
                 '                            blue: cold\n')
    errors = compare('prog', help_text, doc_section(doc, 'prog'))
    want = ['prog: --help prints --beta', 'prog: --help prints --colour', 'prog: --help lists the value "blue"',
            'prog: docs/command-line.md describes --gone']
    missing = [w for w in want if not any(e.startswith(w) for e in errors)]
    extra = [e for e in errors if not any(e.startswith(w) for w in want)]
    if missing or extra:
        print(f'self-test failed: missing {missing}, unexpected {extra}')
        return 1
    print('self-test: undocumented options and values, and stale docs, are caught')
    return 0


def main():
    if sys.argv[1:] == ['--self-test']:
        return self_test()
    root, build = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    checked, errors = check(root, build)
    for e in errors:
        print(e)
    print(f'{checked} --help outputs compared with docs/command-line.md: {len(errors)} differences')
    return 1 if errors or checked == 0 else 0


if __name__ == '__main__':
    sys.exit(main())
