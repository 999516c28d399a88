# Sockets of several families, types and flags, successes and failures, for
# sockmodel-trace's ptrace tests (test/ptrace/run_ptrace.sh). Each call's
# outcome is printed so a run shows what the kernel answered; the tracer
# compares every one with the model.
import os
import socket
import sys

S = socket
calls = [
    (S.AF_INET, S.SOCK_STREAM, 0),
    (S.AF_INET, S.SOCK_STREAM | S.SOCK_CLOEXEC, S.IPPROTO_TCP),
    (S.AF_INET, S.SOCK_DGRAM | S.SOCK_NONBLOCK, S.IPPROTO_UDP),
    (S.AF_INET, S.SOCK_STREAM, S.IPPROTO_UDP),          # EPROTONOSUPPORT
    (S.AF_INET, S.SOCK_RAW, S.IPPROTO_ICMP),            # EPERM without CAP_NET_RAW
    (S.AF_INET, S.SOCK_DGRAM, S.IPPROTO_ICMP),          # ping socket: ping_group_range
    (S.AF_INET6, S.SOCK_STREAM | S.SOCK_NONBLOCK | S.SOCK_CLOEXEC, 0),
    (S.AF_INET6, S.SOCK_RAW, S.IPPROTO_ICMPV6),
    (S.AF_INET, S.SOCK_STREAM, 262),                    # IPPROTO_MPTCP
    (S.AF_UNIX, S.SOCK_STREAM, 0),
    (S.AF_UNIX, S.SOCK_DGRAM | S.SOCK_CLOEXEC, 0),
    (S.AF_UNIX, S.SOCK_SEQPACKET, 0),
    (S.AF_UNIX, S.SOCK_RAW, 0),                         # ESOCKTNOSUPPORT
    (S.AF_NETLINK, S.SOCK_RAW, 0),                      # NETLINK_ROUTE
    (S.AF_NETLINK, S.SOCK_DGRAM, 4),                    # NETLINK_SOCK_DIAG
    (S.AF_PACKET, S.SOCK_RAW, 0x0300),                  # htons(ETH_P_ALL): EPERM unprivileged
    (S.AF_INET, 0x7f, 0),                               # a type out of range: EINVAL
    (999, S.SOCK_STREAM, 0),                            # EAFNOSUPPORT
]
keep = []
for fam, typ, proto in calls:
    try:
        s = S.socket(fam, typ, proto)
        keep.append(s)           # keep it open: the next fd numbers move on
        print(fam, typ, proto, "fd", s.fileno())
    except OSError as e:
        print(fam, typ, proto, "errno", e.errno)
# A hole in the table: close one in the middle, the next socket takes it.
keep.pop(1).close()
keep.append(S.socket(S.AF_INET, S.SOCK_DGRAM))
a, b = S.socketpair(S.AF_UNIX, S.SOCK_STREAM)
print("socketpair", a.fileno(), b.fileno())
sys.exit(int(os.environ.get("SOCKETS_EXIT", "0")))
