#!/usr/bin/env python3
"""Read `callgrind_annotate --inclusive=no` on stdin; print, per function, its
self instructions divided by ROUNDS, the largest first, with the names cut to
the kernel function they model (kernel_fn<K, &f>::call becomes f).
Usage: steps.py ROUNDS [TOP]"""
import re, sys

rounds = int(sys.argv[1])
top = int(sys.argv[2]) if len(sys.argv) > 2 else 14

def strip_templates(s):
    out, depth = [], 0
    for ch in s:
        if ch == '<':
            depth += 1
        elif ch == '>' and depth:
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return ''.join(out)

def short(fn):
    m = re.search(r'kernel_fn<.*?&\((?:[^()]*?\s)?\*?sockmodel::(\w+)<', fn)
    if m:
        return m.group(1)
    if '(anonymous namespace)::run_model' in fn:
        return 'syscalls, inlined'
    s = strip_templates(fn)
    s = s.split('(')[0].strip() if not s.startswith('(') else s
    s = s.split(' ')[-1]
    return s.replace('sockmodel::', '')

rows = {}
for line in sys.stdin:
    m = re.match(r'\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(\S.*)$', line)
    if not m or 'PROGRAM TOTALS' in line:
        continue
    fn = m.group(2).split(':', 1)[1] if ':' in m.group(2) else m.group(2)
    fn = re.sub(r'\s+\[[^\]]*\]$', '', fn)
    name = short(fn)
    rows[name] = rows.get(name, 0) + int(m.group(1).replace(',', '')) / rounds
items = sorted(rows.items(), key=lambda kv: -kv[1])
for name, ir in items[:top]:
    print(f'"{name}" {ir:.1f}')
rest = sum(ir for _, ir in items[top:])
if rest:
    print(f'"(other)" {rest:.1f}')
