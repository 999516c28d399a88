#!/usr/bin/env python3
"""bench/run.sh's last step: read the raw outputs in RESULTS, print the table of
ratios and targets, write RESULTS/summary.md and the .dat files the plots read.
Times are CPU-time medians of 5 repetitions (the machine is shared: wall time
includes time the benchmark was descheduled)."""
import json, os, re, subprocess, sys, datetime

res = sys.argv[1]

def medians(path):
    with open(path) as f:
        data = json.load(f)
    m = {}
    # Rows in the order the benchmarks were registered (run_name's first
    # appearance is random under --benchmark_enable_random_interleaving).
    order = {}
    for b in data['benchmarks']:
        order.setdefault(b['run_name'], (b.get('family_index', 0), b.get('per_family_instance_index', 0)))
    for b in sorted(data['benchmarks'], key=lambda b: order[b['run_name']]):
        if b.get('aggregate_name') == 'median' and not b.get('error_occurred'):
            m[b['run_name']] = b['cpu_time']  # ns
    return m, data['context']

sc, ctx = medians(os.path.join(res, 'socket_close.json'))
fd, _ = medians(os.path.join(res, 'fd_table.json'))
icount = {}
dmem = {}  # name -> (reads, writes) per operation
for line in open(os.path.join(res, 'icount.txt')):
    p = line.split()
    if p and p[0] == 'icount':
        icount[p[1]] = float(p[2])
    elif p and p[0] == 'dmem':
        dmem[p[1]] = (float(p[3]), float(p[5]))
mem = {'bytes': {}, 'heap': {}}
million = None
for line in open(os.path.join(res, 'memory.txt')):
    p = line.split()
    if p[0] == 'bytes':
        mem['bytes'][p[1]] = p[2:]
    elif p[0] == 'heap':
        mem['heap'][p[1]] = float(p[2])
    elif p[0] == 'million':
        million = p[1:]
comp = {}
for line in open(os.path.join(res, 'compile_time.txt')):
    p = line.split()
    # compile CXX OPT CASE SECONDS RATIO_TO_VECTOR LINES (bench/compile_time.sh)
    if p and p[0] == 'compile':
        comp[(p[1], p[2], p[3])] = (float(p[4]), float(p[5]), int(p[6]))

L = []
def out(s=''):
    L.append(s)

cpu = subprocess.run(['lscpu'], capture_output=True, text=True).stdout
model_name = next((l.split(':', 1)[1].strip() for l in cpu.splitlines() if l.startswith('Model name')), '?')
out(f'Measured {datetime.date.today().isoformat()} on {model_name} ({ctx.get("num_cpus")} CPUs, '
    f'Linux {os.uname().release}), `bash bench/run.sh`; times are CPU-time medians of 5 repetitions, randomly interleaved.')
out()

# --- the whole path ---------------------------------------------------------
out('| socket()+close() | model ns | kernel ns | kernel/model | model instructions | model/floor instructions |')
out('|---|---:|---:|---:|---:|---:|')
floor_ns, floor_ir = sc.get('floor'), icount.get('floor')
names = [k[len('path/'):-len('/model')] for k in sc if k.startswith('path/') and k.endswith('/model')]
for n in names:
    m = sc.get(f'path/{n}/model'); k = sc.get(f'path/{n}/kernel'); ir = icount.get(f'path/{n}')
    ks = f'{k:.0f}' if k else 'skipped'
    r = f'{k / m:.0f}×' if k and m else '-'
    out(f'| {n} | {m:.1f} | {ks} | {r} | {ir:.0f} | {ir / floor_ir:.1f}× |')
out(f'| floor (3 free-list pops+pushes, fd bitmap set+clear) | {floor_ns:.1f} | | | {floor_ir:.0f} | 1× |')
out()

# --- error paths ------------------------------------------------------------
out('| error path | model ns | kernel ns | kernel/model |')
out('|---|---:|---:|---:|')
for k in sc:
    if k.startswith('error/') and k.endswith('/model'):
        n = k[len('error/'):-len('/model')]
        m = sc[k]; kk = sc.get(f'error/{n}/kernel')
        out(f'| {n} | {m:.1f} | {kk:.0f} | {kk / m:.0f}× |' if kk else f'| {n} | {m:.1f} | skipped | - |')
out()

# --- fd table ------------------------------------------------------------------
Ns = [16, 1024, 16384, 65536, 1048576]
out('| open fds | model dup+close, hole at end | hole low | model alloc_fd+put_unused_fd | kernel dup+close, hole at end | hole low |')
out('|---:|---:|---:|---:|---:|---:|')
with open(os.path.join(res, 'fd_cost.dat'), 'w') as f1, open(os.path.join(res, 'fd_cost_kernel.dat'), 'w') as f2:
    for N in Ns:
        me, ml = fd.get(f'fd/model_dup/end/{N}'), fd.get(f'fd/model_dup/low/{N}')
        ma = fd.get(f'fd/model_alloc_fd/end/{N}')
        ke, kl = fd.get(f'fd/kernel_dup/end/{N}'), fd.get(f'fd/kernel_dup/low/{N}')
        f1.write(f'{N} {me} {ml} {ma}\n'.replace('None', 'NaN'))
        if ke:
            f2.write(f'{N} {ke} {kl}\n'.replace('None', 'NaN'))
        kes = f'{ke:.0f}' if ke else 'over the hard RLIMIT_NOFILE (20,000)'
        kls = f'{kl:.0f}' if kl else '-'
        out(f'| {N:,} | {me:.1f} | {ml:.1f} | {ma:.1f} | {kes} | {kls} |')
out()

# --- memory ----------------------------------------------------------------------
out('| bytes per open socket | model (inode+filp+sock+fd share) | proto slab | kernel (same, slab_size) | heap allocations per socket()+close(), warm |')
out('|---|---:|---|---:|---:|')
for n, v in mem['bytes'].items():
    if v[0] == 'error':
        continue
    kt = float(v[5])
    out(f'| {n} | {float(v[0]):.0f} ({v[1]}+{v[2]}+{v[3]}+8.25) | {v[4]} | '
        f'{f"{kt:.0f} ({v[6]}+{v[7]}+{v[8]}+8.25)" if kt > 0 else f"kmalloc (no slab of its own)"} | {mem["heap"].get(n, -1):g} |')
if million:
    out()
    out(f'One million open TCP sockets (forked child): RSS grew by {int(million[1]) / 2**20:.0f} MiB, '
        f'live heap by {int(million[2]) / 2**20:.0f} MiB: {float(million[3]):.0f} bytes of RSS and '
        f'{float(million[4]):.0f} of heap per socket.')
out()

# --- tracing -------------------------------------------------------------------------
none, absent, rec = (icount.get(f'trace/AF_INET/tcp/{x}') for x in ('none', 'absent', 'recorder'))
tn, ta, tr = (sc.get(f'trace/AF_INET/tcp/{x}') for x in ('none', 'absent', 'recorder'))
out(f'Tracing (AF_INET/tcp socket()+close()): compiled off (trace::none) {none:.0f} instructions and {tn:.1f} ns; '
    f'absent (the tracing calls taken out of the source, bench/icount/absent.py) {absent:.0f} instructions and '
    f'{ta:.1f} ns: off costs {100 * (none - absent) / absent:+.1f}% instructions, {100 * (tn - ta) / ta:+.1f}% time. '
    f'On (trace::recorder, events cleared each call): {rec:.0f} instructions, {tr:.0f} ns ({tr / tn:.0f}× off).')
out()
fi, ft = icount.get('faults/AF_INET/tcp/inject'), sc.get('faults/AF_INET/tcp/inject')
if fi and ft:
    out(f'Fault injection (AF_INET/tcp): compiled off, it is part of the "absent" build above (absent.py turns every '
        f'`should_fail` into `false`); compiled on (opt::faults<fault::inject>, nothing armed) {fi:.0f} instructions '
        f'and {ft:.1f} ns: {100 * (fi - none) / none:+.1f}% instructions, {100 * (ft - tn) / tn:+.1f}% time against off.')
    out()
smp_i = icount.get('smp/AF_INET/tcp')
if smp_i:
    out(f'opt::locking<lock::smp> from one thread (AF_INET/tcp): {smp_i:.0f} instructions, '
        f'{smp_i / none:.2f}× the default\'s {none:.0f}.')
    out()
if 'floor' in dmem and 'path/AF_INET/tcp' in dmem:
    (fr, fw), (mr, mw) = dmem['floor'], dmem['path/AF_INET/tcp']
    out(f'Memory accesses per AF_INET/tcp socket()+close() (callgrind --cache-sim=yes; an '
        f'x86 instruction stores at most once, as callgrind counts them): the floor reads {fr:.0f} times and writes {fw:.0f} times; the model reads {mr:.0f} times '
        f'and writes {mw:.0f} times. Twice the floor\'s instructions ({2 * floor_ir:.0f}) would leave '
        f'{max(0, 2 * floor_ir - mw):.0f} instructions for everything that is not a store.')
    out()

# --- compile time ---------------------------------------------------------------------
out('| compile (-c, CPU time, median of 5) | `<vector>` | sockmodel.hpp alone | + kernel<> + socket(), compiled mode | the same, header-only | AF_UNIX only | preprocessed lines: `<vector>` / sockmodel.hpp |')
out('|---|---:|---:|---:|---:|---:|---:|')
for cxx in ('g++', 'clang++'):
    for opt in ('-O0', '-O2'):
        if (cxx, opt, 'vector') in comp:
            c = lambda n: comp[(cxx, opt, n)]
            fc = f'{c("full_compiled")[1]:.1f}×' if (cxx, opt, 'full_compiled') in comp else '–'
            out(f'| {cxx} {opt} | {c("vector")[0]:.2f} s | {c("include")[1]:.1f}× | {fc} | {c("full")[1]:.1f}× | '
                f'{c("unix_only")[1]:.1f}× | {c("vector")[2]} / {c("include")[2]} |')
out('Ratios are to `<vector>` in the same run; the bounds are 3× (the include alone) and 8× (with one socket(), '
    'in the compiled mode: the program links sockmodel::default_kernel, docs/building.md).')
out()

# --- targets -------------------------------------------------------------------------------
tcp_ir = icount['path/AF_INET/tcp']
tcp_m, tcp_k = sc['path/AF_INET/tcp/model'], sc.get('path/AF_INET/tcp/kernel')
fd16, fd1m = fd['fd/model_dup/end/16'], fd['fd/model_dup/end/1048576']
fd16l, fd1ml = fd['fd/model_dup/low/16'], fd['fd/model_dup/low/1048576']
heap_max = max(mem['heap'].values())
tcp_bytes = float(mem['bytes']['AF_INET/tcp'][0])
yes = lambda b: 'met' if b else '**not met**'
out('| target | measured | |')
out('|---|---|---|')
state_ir, malloc_ir = icount.get('floor/state'), icount.get('malloc+free')
extra = (f' ({tcp_ir / state_ir:.2f}× the state floor, {tcp_ir / malloc_ir:.2f}× malloc+free of the same objects)'
         if state_ir and malloc_ir else '')
out(f'| AF_INET/SOCK_STREAM ≤ 450 instructions (g++ -O2) | {tcp_ir:.0f}{extra} | {yes(tcp_ir <= 450)} |')
clang_ir = icount.get('other/clang++/AF_INET/tcp')
if clang_ir:
    out(f'| clang++ within 10% of g++ | {clang_ir:.0f} / {tcp_ir:.0f} = {clang_ir / tcp_ir:.2f}× | {yes(clang_ir <= 1.1 * tcp_ir)} |')
smp_ir = icount.get('smp/AF_INET/tcp')
if smp_ir:
    out(f'| lock::smp from one thread ≤ 1.2× lock::none (instructions) | {smp_ir:.0f} / {tcp_ir:.0f} = {smp_ir / tcp_ir:.2f}× | {yes(smp_ir <= 1.2 * tcp_ir)} |')
if tcp_k:
    out(f'| ≥ 100× faster than the live kernel (the aim) | {tcp_k:.0f} / {tcp_m:.1f} ns = {tcp_k / tcp_m:.0f}× | {yes(tcp_k / tcp_m >= 100)} |')
out(f'| fd allocation at 1,048,576 open ≤ 1.5× at 16 | hole at end {fd1m / fd16:.2f}×, hole low {fd1ml / fd16l:.2f}× | {yes(max(fd1m / fd16, fd1ml / fd16l) <= 1.5)} |')
out(f'| 0 heap allocations per socket()+close(), warm | at most {heap_max:g}, every family | {yes(heap_max == 0)} |')
out(f'| tracing off within 3% of absent | {100 * (none - absent) / absent:+.1f}% instructions, {100 * (tn - ta) / ta:+.1f}% time | '
    f'{yes(abs(none - absent) <= 0.03 * absent and abs(tn - ta) <= 0.03 * ta)} |')
mtxt = f', {float(million[3]):.0f} measured (RSS, a million sockets)' if million else ''
out(f'| ≤ 512 bytes per open TCP socket | {tcp_bytes:.0f} by the caches\' accounting{mtxt} | {yes(tcp_bytes <= 512 and (not million or float(million[3]) <= 512))} |')

text = '\n'.join(L) + '\n'
open(os.path.join(res, 'summary.md'), 'w').write(text)
print(text)
