#!/usr/bin/env python3
"""Copy include/ with the tracing policy's calls taken out of the source text:
every `auto NAME = trace::enter(...);` statement removed, `NAME.ret(x)` and
`NAME.ret_ptr(x)` turned into `(x)`, every SOCKMODEL_TRACE_NOTE(...) and
SOCKMODEL_TRACE_DESCRIBE(...) tracepoint turned into `(void)0`; and the
fault-injection policy's calls taken out: every `should_fail<...>(cx, ...)`
turned into `false`. What is left is the library as it would be written with no tracing
at all, the "absent" build bench/icount.sh compares trace::none against.
Usage: absent.py SRC_INCLUDE DST_INCLUDE"""
import os, re, shutil, sys

src, dst = sys.argv[1], sys.argv[2]
shutil.rmtree(dst, ignore_errors=True)
shutil.copytree(src, dst)

def statement_end(s, i):
    """Index just past the ';' closing the call whose '(' is at or after i."""
    depth = 0
    j = s.index('(', i)
    while True:
        ch = s[j]
        if ch == '(':
            depth += 1
        elif ch == ')':
            depth -= 1
        elif ch == '"':  # skip string literals
            j += 1
            while s[j] != '"':
                j += 2 if s[j] == '\\' else 1
        elif ch == "'":
            j += 1
            while s[j] != "'":
                j += 2 if s[j] == '\\' else 1
        if depth == 0 and ch == ')':
            k = s.index(';', j)
            return k + 1
        j += 1

removed = 0
for root, _, files in os.walk(dst):
    if os.path.basename(root) == 'trace' and root.endswith(os.path.join('sockmodel', 'trace')):
        continue
    for name in files:
        p = os.path.join(root, name)
        s = open(p).read()
        s = re.sub(r'if constexpr \((?:sockmodel::)?trace::on<decltype\([^()]*\)>\)\s*', '', s)
        names = set()
        out = []
        i = 0
        pat = re.compile(r'auto\s+(\w+)\s*=\s*trace::enter\s*\(|SOCKMODEL_TRACE_(?:NOTE|DESCRIBE)\s*\(')
        while True:
            m = pat.search(s, i)
            if not m:
                out.append(s[i:])
                break
            out.append(s[i:m.start()])
            end = statement_end(s, m.start())
            if m.group(1):
                names.add(m.group(1))
            else:
                out.append('(void)0;')
            removed += 1
            i = end
        s = ''.join(out)
        for n in names:
            while True:
                m = re.search(r'\b' + n + r'\.describe\s*\(', s)
                if not m:
                    break
                end = statement_end(s, m.start())
                s = s[:m.start()] + s[end:]
                removed += 1
        # fault injection: the call expression becomes `false`
        while True:
            m = re.search(r'(?<![\w.:>])should_fail\s*<[^<>]*>\s*\(\s*cx\b', s)
            if not m:
                break
            j, depth = s.index('(', m.start()), 0
            while True:
                depth += {'(': 1, ')': -1}.get(s[j], 0)
                if depth == 0:
                    break
                j += 1
            s = s[:m.start()] + 'false' + s[j + 1:]
            removed += 1
        for n in names:
            s = re.sub(r'\b' + n + r'\.ret(_ptr)?\(', '(', s)
        open(p, 'w').write(s)
print(f'absent.py: {removed} tracing and fault-injection statements removed', file=sys.stderr)
