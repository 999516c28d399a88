// Helpers for the live kernel's side of the benchmarks: a network namespace
// whose ping_group_range is open (so ping sockets can be timed as root without
// touching the host's sysctl), dropping CAP_NET_RAW from the effective set and
// back, and RLIMIT_NOFILE set and restored.
#pragma once

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace bench::live {

// The fds of the initial and of the ping network namespace (-1: none).
struct netns_pair {
    int orig = -1;
    int ping = -1;
};

// unshare(CLONE_NEWNET), open ping_group_range there, come back. Root only.
inline netns_pair make_ping_netns()
{
    netns_pair p;
    p.orig = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (p.orig < 0 || ::unshare(CLONE_NEWNET) != 0)
        return p;
    if (FILE* f = std::fopen("/proc/sys/net/ipv4/ping_group_range", "w")) {
        std::fputs("0 2147483647", f);
        std::fclose(f);
        p.ping = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    }
    ::setns(p.orig, CLONE_NEWNET);
    return p;
}

// The calling thread's capabilities: clear one bit of the effective set
// (permitted keeps it, so it can be raised again).
inline bool set_effective_cap(int cap, bool on)
{
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (::syscall(SYS_capget, &hdr, data) != 0)
        return false;
    const unsigned idx = static_cast<unsigned>(cap) / 32, bit = 1u << (cap % 32);
    if (on)
        data[idx].effective |= bit;
    else
        data[idx].effective &= ~bit;
    return ::syscall(SYS_capset, &hdr, data) == 0;
}

// The lowest free fd of this process (every fd below it is open).
inline int lowest_free_fd()
{
    const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd >= 0)
        ::close(fd);
    return fd;
}

}  // namespace bench::live
