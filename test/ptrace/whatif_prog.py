# A program that takes another path when a socket call fails, for the
# --what-if tests (test/ptrace/whatif_check.py): an ICMP echo socket tried
# as a ping socket (ping_group_range), then raw (CAP_NET_RAW), then UDP as a
# last resort; a packet socket; IPv6 with a fall back to IPv4; a pool of
# sockets kept open (RLIMIT_NOFILE); a forked child that
# does the same ping/raw probe. Each outcome is printed.
import os
import socket
import sys

S = socket


def try_socket(fam, typ, proto):
    try:
        s = S.socket(fam, typ, proto)
        print(fam, typ, proto, "fd", s.fileno(), flush=True)
        return s
    except OSError as e:
        print(fam, typ, proto, "errno", e.errno, flush=True)
        return None


def icmp_probe():  # as iputils' ping: a ping socket first, then raw
    s = try_socket(S.AF_INET, S.SOCK_DGRAM, S.IPPROTO_ICMP)
    if s is None:
        s = try_socket(S.AF_INET, S.SOCK_RAW, S.IPPROTO_ICMP)
    if s is None:
        s = try_socket(S.AF_INET, S.SOCK_DGRAM, S.IPPROTO_UDP)
    return s


keep = [icmp_probe()]
keep.append(try_socket(S.AF_PACKET, S.SOCK_DGRAM, 0))
six = try_socket(S.AF_INET6, S.SOCK_STREAM, 0)
keep.append(six if six is not None else try_socket(S.AF_INET, S.SOCK_STREAM, 0))
keep.append(try_socket(S.AF_NETLINK, S.SOCK_RAW, 0))
pool = int(os.environ.get("WHATIF_POOL", "6"))
for _ in range(pool):
    s = try_socket(S.AF_UNIX, S.SOCK_DGRAM, 0)
    if s is None:
        break
    keep.append(s)
for s in keep:
    if s is not None:
        s.close()
pid = os.fork()
if pid == 0:
    c = icmp_probe()
    a, b = S.socketpair(S.AF_UNIX, S.SOCK_STREAM)
    os._exit(0)
os.waitpid(pid, 0)
sys.exit(0)
