#!/usr/bin/env python3
"""Writes fuzz/corpus/: one small program per file, each exercising one path
of fuzz_socket.cpp's interpreter. The byte encoding is the interpreter's
(run::step and the actions it calls); keep the two in step.

    python3 fuzz/make_corpus.py     # rewrites fuzz/corpus/*
"""
import os

# Action kinds (run::step: kind % 16).
SPAWN, CLONE, EXIT, SOCKET, BURST, CLOSE, DUP, FCNTL, GETSOCKOPT, RLIMIT, REGISTER, MODULE, SYSCTL = (
    0, 1, 2, 3, 5, 6, 8, 9, 10, 11, 12, 13, 14)
ROOT, USER, USER_CAPS, USERNS = 0, 1, 2, 3
FDS012, NEWNET = 8, 4
# run::socket's tables (indices).
FAM = dict(UNIX=0, INET=1, INET6=2, NETLINK=3, PACKET=4, VSOCK=5, XDP=6, TEST=7, UNSPEC=8, CAN=11)
TYPE = dict(STREAM=0, DGRAM=1, RAW=2, SEQPACKET=3, RDM=4, PACKET=5, DCCP=6)
PROTO = dict(ZERO=0, TCP=1, UDP=2, ICMP=3, ICMPV6=4, RAW=5, SCTP=6, MPTCP=7, UDPLITE=8, ETH_P_ALL=10)
CLOEXEC, NONBLOCK, STRAY = 1, 2, 4
# run::clone's choices.
CL_NONE, CL_FILES, CL_VM_SIGHAND, CL_THREAD_NOFILES, CL_PTHREAD, CL_BAD_THREAD, CL_BAD_SIGHAND = range(7)
# rlimit values (run::rlimit's table).
RL = {0: 0, 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 8: 7, 16: 8, 64: 9, 1024: 10, 4096: 11, 'nr_open': 12,
      'nr_open+1': 13, 20000: 14, 'inf': 15}
# Families in registration order: K::families (default_families.hpp), then the test family.
NFAM = 8
FAMIDX = dict(NETLINK=0, INET=1, UNIX=2, XDP=3, INET6=4, PACKET=5, VSOCK=6, TEST=7)
NMOD = 6
MODIDX = dict(unix=0, ipv6=1, packet=2, vsock=3, fam=4, fam_ops=5)


def with_bit(index, n, high):
    """The smallest byte b with b % n == index and bit 0x80 set as asked."""
    for b in range(256):
        if b % n == index and bool(b & 0x80) == high:
            return b
    raise ValueError


def spawn(who, extra=0, caps=None):
    out = [SPAWN, who | extra]
    if who == USER_CAPS:
        out.append(caps or 0)
    return out


def socket(task, fam, typ, proto='ZERO', flags=0):
    return [SOCKET, task, 0, FAM[fam], TYPE[typ], flags, PROTO[proto]]


def burst(task, nth_open, times):  # dup the nth open fd `times` times
    return [BURST, task, nth_open, times]


def close(task, fd):
    return [CLOSE, task, fd + 2]


def dup(task, fd):
    return [DUP, task, fd + 1]


def fcntl(task, fd, cmd):
    return [FCNTL, task, fd + 1, cmd]


def getsockopt(task, fd, optidx, null=False):  # optidx 0 SO_DOMAIN, 1 SO_TYPE, 2 SO_PROTOCOL, 3 SO_RCVBUF
    return [GETSOCKOPT, task, fd + 1, 1 | (optidx << 2) | (16 if null else 0)]


def setrlimit(task, cur, mx):
    return [RLIMIT, task, 0, RL[cur], RL[mx]]


def getrlimit(task):
    return [RLIMIT, task, 0x40]


def clone(task, choice):
    return [CLONE, task, choice]


def register(fam):
    return [REGISTER, with_bit(FAMIDX[fam], NFAM, False)]


def unregister(fam):
    return [REGISTER, with_bit(FAMIDX[fam], NFAM, True)]


def module(name, going):
    return [MODULE, with_bit(MODIDX[name], NMOD, going)]


MISUSE = 0xf0  # run::step: a kind byte >= 0xf0 is a misuse action (run::misuse)


def misuse_exited(call, index=0):  # call: 0 socket, 1 exit again, 2 close, 3 clone, 4 socketpair
    return [MISUSE, 0 | (call << 2), index]


def misuse_foreign(task):
    return [MISUSE, 1, task]


def misuse_throw(task, post=False, pair=False, second=False, remove_self=False, inet=False):
    return [MISUSE, 2 | (post << 2) | (pair << 3) | (second << 4) | (remove_self << 5) | (inet << 6), task]


def misuse_self_removing(task, fam, typ, remove_other=False):  # fam: 0 UNIX 1 INET 2 INET6 3 PACKET; typ: 0 STREAM 1 DGRAM 2 RAW
    return [MISUSE, 3 | (remove_other << 2), task, fam, typ]


def ping_range(index, task=None):  # 0 "1 0", 1 "0 0", 2 "0 65534", 3 "100 200", 6 "0 2147483647"
    """In init_net, or in the netns of task `task` (of two tasks: (b >> 3) % 2 picks it)."""
    return [SYSCTL, index if task is None else 0x80 | (task << 3) | index]


# Task 0 is the root task every input starts with, holding fds 0..2.
seeds = {
    'root_tcp_close': socket(0, 'INET', 'STREAM') + close(0, 3),
    'root_every_family': sum((socket(0, f, t, p) for f, t, p in [
        ('UNIX', 'DGRAM', 'ZERO'), ('INET6', 'DGRAM', 'UDP'), ('NETLINK', 'RAW', 'ZERO'),
        ('PACKET', 'RAW', 'ETH_P_ALL'), ('VSOCK', 'STREAM', 'ZERO'), ('XDP', 'RAW', 'ZERO'),
        ('INET', 'PACKET', 'ZERO'), ('INET', 'RAW', 'ICMP'), ('CAN', 'RAW', 'ZERO')]), []),
    'user_raw_eperm': spawn(USER, FDS012) + socket(1, 'INET', 'RAW', 'ICMP') + socket(1, 'PACKET', 'RAW'),
    'user_caps_net_raw': spawn(USER_CAPS, FDS012, caps=1) + socket(1, 'INET', 'RAW', 'ICMP'),
    'ping_group_range': socket(0, 'INET', 'DGRAM', 'ICMP') + ping_range(2) + socket(0, 'INET', 'DGRAM', 'ICMP')
        + spawn(USER, FDS012) + socket(1, 'INET6', 'DGRAM', 'ICMPV6'),
    'emfile_lowest_fd': setrlimit(0, 5, 8) + socket(0, 'UNIX', 'STREAM') + socket(0, 'UNIX', 'STREAM')
        + socket(0, 'INET', 'STREAM') + close(0, 1) + dup(0, 4) + dup(0, 4) + getrlimit(0),
    'setrlimit_eperm_einval': spawn(USER) + setrlimit(1, 64, 1024) + setrlimit(1, 64, 20000)
        + setrlimit(1, 1024, 64) + setrlimit(0, 64, 'nr_open+1') + getrlimit(1),
    'clone_files_and_threads': clone(0, CL_FILES) + socket(1, 'INET', 'STREAM', flags=CLOEXEC) + close(0, 3)
        + clone(0, CL_PTHREAD) + setrlimit(2, 4, 4) + getrlimit(0) + clone(0, CL_NONE) + socket(3, 'UNIX', 'DGRAM')
        + clone(0, CL_BAD_THREAD) + clone(0, CL_BAD_SIGHAND) + [EXIT, 0] + [EXIT, 0],
    'burst_past_64_fds': burst(0, 0, 70) + socket(0, 'INET', 'DGRAM') + close(0, 40) + close(0, 65)
        + socket(0, 'INET6', 'STREAM') + dup(0, 2) + clone(0, CL_NONE) + socket(1, 'UNIX', 'STREAM'),
    'cloexec_nonblock_readback': socket(0, 'INET', 'STREAM', flags=CLOEXEC | NONBLOCK) + fcntl(0, 3, 1)
        + fcntl(0, 3, 3) + getsockopt(0, 3, 0) + getsockopt(0, 3, 1) + getsockopt(0, 3, 2) + getsockopt(0, 3, 3)
        + getsockopt(0, 3, 2, null=True) + dup(0, 3) + fcntl(0, 4, 1) + socket(0, 'INET', 'STREAM', flags=STRAY),
    'unregister_unix_with_sockets_open': unregister('UNIX') + socket(0, 'UNIX', 'STREAM') + close(0, 0)
        + register('UNIX') + register('UNIX') + socket(0, 'UNIX', 'STREAM'),
    'module_going': module('unix', True) + socket(0, 'UNIX', 'DGRAM') + close(0, 1) + module('unix', False)
        + socket(0, 'UNIX', 'DGRAM') + module('ipv6', True) + socket(0, 'INET6', 'STREAM') + module('ipv6', False),
    'test_family_out_module_busy': register('TEST') + socket(0, 'TEST', 'DGRAM') + module('fam_ops', True)
        + socket(0, 'TEST', 'DGRAM') + module('fam_ops', False) + module('fam', True) + socket(0, 'TEST', 'DGRAM')
        + module('fam', False) + unregister('TEST') + socket(0, 'TEST', 'DGRAM') + close(0, 3),
    'userns_newnet': spawn(USERNS, FDS012 | NEWNET) + socket(1, 'INET', 'RAW', 'ICMP')
        + socket(1, 'PACKET', 'RAW') + ping_range(6, task=1) + socket(1, 'INET', 'DGRAM', 'ICMP')
        + spawn(USERNS, FDS012) + socket(2, 'INET', 'RAW', 'ICMP') + setrlimit(2, 64, 20000),
    'misuse_exited_task': spawn(USER, FDS012) + socket(1, 'INET', 'STREAM') + [EXIT, 1]
        + sum((misuse_exited(c) for c in range(5)), []) + socket(0, 'UNIX', 'STREAM'),
    'misuse_foreign_task': misuse_foreign(0) + socket(0, 'INET', 'STREAM') + misuse_foreign(0),
    'misuse_throwing_hooks': misuse_throw(0, inet=True) + misuse_throw(0, post=True)
        + misuse_throw(0, pair=True) + misuse_throw(0, pair=True, second=True)
        + misuse_throw(0, post=True, pair=True, second=True) + misuse_throw(0, remove_self=True, inet=True)
        + socket(0, 'INET', 'STREAM'),
    'misuse_self_removing_hooks': misuse_self_removing(0, 1, 0) + misuse_self_removing(0, 0, 1, remove_other=True)
        + misuse_self_removing(0, 2, 1) + close(0, 3),
}

out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus')
os.makedirs(out_dir, exist_ok=True)
for name in os.listdir(out_dir):
    os.remove(os.path.join(out_dir, name))
for name, program in seeds.items():
    with open(os.path.join(out_dir, name), 'wb') as f:
        f.write(bytes(program))
print(f'{len(seeds)} seeds in {out_dir}')
