#!/usr/bin/env python3
"""Every citation in the repository must lead somewhere a reader of the repository can follow.

Rules (docs/architecture.md "Where to change what" relies on them):
  1. No tracked file names a document that lives outside the repository (the team's shared
     research notes and design page), nor the folder that holds them.
  2. Every section sign (the character U+00A7) followed by a section id resolves to a heading of a
     Markdown file under docs/: the document is the nearest .md file named before it on the same
     line; failing that, the file itself for a document under docs/, or else the nearest .md
     file named earlier in the same file. A heading "## 1. Title", "### 1.3 Title" or
     "### A.2b Title" has the id 1, 1.3, A.2b. Citations of external standards ("PCIe Base 4.0")
     are exempt when that name is nearer than any .md file.
Usage: check_citations.py ROOT (lists git-tracked files) | --self-test
"""
import os
import re
import subprocess
import sys
import tempfile

# Built from pieces so that this file does not trip rule 1 itself.
FORBIDDEN = [
    'xrt-umq-' + 'cert.md', 'amdxdna-aie4-' + 'interface.md', 'aie-architecture-' + 'and-peers.md',
    'qemu-and-guest-' + 'recipe.md', 'interface ' + 'doc', '../' + 'shared', 'shared/' + 'docs',
    'ARCHITECT' + 'URE.md',
]
SECTION = re.compile('\u00a7' + r'([A-Z]?[0-9]*(?:\.[0-9A-Za-z]+)*)')
DOCREF = re.compile(r'([\w./-]*[\w-]+\.md)\b|(PCIe Base)')
HEADING = re.compile(r'^#{1,6}\s+([A-Z]|[0-9]+|[A-Z]\.[0-9A-Za-z.]+|[0-9]+(?:\.[0-9A-Za-z]+)+)\.?\s')


def tracked(root):
    out = subprocess.check_output(['git', '-C', root, 'ls-files', '-z'])
    return [p for p in out.decode().split('\0') if p]


def headings(path):
    ids = set()
    with open(path, encoding='utf-8') as f:
        for line in f:
            m = HEADING.match(line)
            if m:
                ids.add(m.group(1).rstrip('.'))
    return ids


def resolve_doc(root, ref, docs_by_name):
    if '/' in ref:
        path = os.path.normpath(os.path.join(root, ref))
        return path if path.startswith(os.path.join(root, 'docs') + os.sep) and os.path.isfile(path) else None
    found = docs_by_name.get(ref, [])
    return found[0] if len(found) == 1 else None


def check(root, files):
    errors = []
    docs_by_name = {}
    for rel in files:
        if rel.startswith('docs/') and rel.endswith('.md'):
            docs_by_name.setdefault(os.path.basename(rel), []).append(os.path.join(root, rel))
    heading_cache = {}
    for rel in files:
        path = os.path.join(root, rel)
        try:
            with open(path, encoding='utf-8') as f:
                text = f.read()
        except (UnicodeDecodeError, IsADirectoryError, FileNotFoundError):
            continue
        if os.path.abspath(path) == os.path.abspath(__file__):
            continue
        for name in FORBIDDEN:
            for m in re.finditer(re.escape(name), text):
                line = text.count('\n', 0, m.start()) + 1
                errors.append(f'{rel}:{line}: names "{name}", which is not in the repository')
        if '\u00a7' not in text:
            continue
        in_docs = rel.startswith('docs/') and rel.endswith('.md')
        last_ref = None  # nearest .md named on an earlier line
        for lineno, line in enumerate(text.split('\n'), 1):
            refs = [(m.start(), m.group(1) or m.group(2)) for m in DOCREF.finditer(line)]
            for m in SECTION.finditer(line):
                sec = m.group(1).rstrip('.')
                before = [r for pos, r in refs if pos < m.start()]
                if before:
                    ref = before[-1]
                elif in_docs:
                    ref = rel
                else:
                    ref = last_ref
                if ref == 'PCIe Base':
                    continue
                if ref is None:
                    errors.append(f'{rel}:{lineno}: section {sec} cites no document (name docs/...md before it)')
                    continue
                doc = os.path.join(root, ref) if ref == rel else resolve_doc(root, ref, docs_by_name)
                if doc is None:
                    errors.append(f'{rel}:{lineno}: section {sec} of {ref}: no such document under docs/')
                    continue
                if doc not in heading_cache:
                    heading_cache[doc] = headings(doc)
                if not sec or sec not in heading_cache[doc]:
                    errors.append(f'{rel}:{lineno}: {ref} has no section {sec or "(empty)"}')
            md = [r for _, r in refs if r != 'PCIe Base']
            if md:
                last_ref = md[-1]
    return errors


def self_test():
    # The checker must catch each kind of bad citation, and accept good ones.
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, 'docs/spec'))
        os.makedirs(os.path.join(d, 'src'))
        with open(os.path.join(d, 'docs/spec/a.md'), 'w') as f:
            f.write('# A\n\n## 1. One\n\n### 1.2 Two\n\n### A.2b Three\n\nSee \u00a71.2 and \u00a79.\n')
        good = ('// docs/spec/a.md \u00a71.2, \u00a7A.2b\n// again \u00a71\n'
                '// PCIe Base 4.0 \u00a77.5.3\n')
        bad = ('// a.md \u00a73.1\n// ' + FORBIDDEN[0] + ' \u00a71\n')
        with open(os.path.join(d, 'src/good.cpp'), 'w') as f:
            f.write(good)
        with open(os.path.join(d, 'src/bad.cpp'), 'w') as f:
            f.write(bad)
        with open(os.path.join(d, 'src/orphan.cpp'), 'w') as f:
            f.write('// \u00a71.2 with no document\n')
        files = ['docs/spec/a.md', 'src/good.cpp', 'src/bad.cpp', 'src/orphan.cpp']
        errors = check(d, files)
        expect = ['docs/spec/a.md:9: docs/spec/a.md has no section 9', 'src/bad.cpp:1: a.md has no section 3.1',
                  'src/bad.cpp:2: names', 'src/bad.cpp:2: section 1 of', 'src/orphan.cpp:1: section 1.2 cites no document']
        missing = [e for e in expect if not any(x.startswith(e) for x in errors)]
        unexpected = [x for x in errors if not any(x.startswith(e) for e in expect)]
        if missing or unexpected:
            print('self-test failed:\n  missing: %s\n  unexpected: %s' % (missing, unexpected))
            return 1
    print('self-test: every kind of bad citation is caught')
    return 0


def main():
    if sys.argv[1:] == ['--self-test']:
        return self_test()
    root = os.path.abspath(sys.argv[1])
    files = tracked(root)
    errors = check(root, files)
    for e in errors:
        print(e)
    print(f'{len(files)} tracked files checked: {len(errors)} bad citations')
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
