// What the benchmarks, the callgrind drivers and the memory tools share: the
// socket() arguments of every family/type the default configuration models,
// and the floor, the least work any faithful model of socket()+close() must
// do, written plainly and independently of the model's own caches.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include <linux/if_ether.h>
#include <netinet/in.h>
#include <sys/socket.h>

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif
#ifndef AF_XDP
#define AF_XDP 44
#endif

namespace bench {

struct socket_case {
    const char* name;  // "AF_INET/tcp": the row name of every table
    int family, type, protocol;
    bool ping;         // needs net.ipv4.ping_group_range open (model and kernel)
};

// Every family/type of the default configuration (default_families.hpp),
// with the arguments both the model and the live kernel are called with.
// AF_PACKET is asked for protocol 0 (no packet_type hook: the live kernel
// then taps no traffic while the benchmark runs).
inline constexpr std::array<socket_case, 20> socket_cases{{
    {"AF_UNIX/stream", AF_UNIX, SOCK_STREAM, 0, false},
    {"AF_UNIX/dgram", AF_UNIX, SOCK_DGRAM, 0, false},
    {"AF_UNIX/seqpacket", AF_UNIX, SOCK_SEQPACKET, 0, false},
    {"AF_INET/tcp", AF_INET, SOCK_STREAM, 0, false},
    {"AF_INET/udp", AF_INET, SOCK_DGRAM, 0, false},
    {"AF_INET/udplite", AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE, false},
    {"AF_INET/mptcp", AF_INET, SOCK_STREAM, IPPROTO_MPTCP, false},
    {"AF_INET/ping", AF_INET, SOCK_DGRAM, IPPROTO_ICMP, true},
    {"AF_INET/raw", AF_INET, SOCK_RAW, IPPROTO_RAW, false},
    {"AF_INET6/tcp", AF_INET6, SOCK_STREAM, 0, false},
    {"AF_INET6/udp", AF_INET6, SOCK_DGRAM, 0, false},
    {"AF_INET6/udplite", AF_INET6, SOCK_DGRAM, IPPROTO_UDPLITE, false},
    {"AF_INET6/mptcp", AF_INET6, SOCK_STREAM, IPPROTO_MPTCP, false},
    {"AF_INET6/ping", AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6, true},
    {"AF_INET6/raw", AF_INET6, SOCK_RAW, IPPROTO_RAW, false},
    {"AF_NETLINK/route", AF_NETLINK, SOCK_RAW, 0 /* NETLINK_ROUTE */, false},
    {"AF_PACKET/raw", AF_PACKET, SOCK_RAW, 0, false},
    {"AF_PACKET/dgram", AF_PACKET, SOCK_DGRAM, 0, false},
    {"AF_VSOCK/stream", AF_VSOCK, SOCK_STREAM, 0, false},
    {"AF_XDP/raw", AF_XDP, SOCK_RAW, 0, false},
}};

// --- the floor ----------------------------------------------------------------
// A slab's fast path at its barest: an intrusive singly-linked free list
// threaded through preallocated objects of one size (what kmem_cache_alloc and
// kmem_cache_free do on a warm per-CPU freelist).
class free_list {
public:
    free_list(std::size_t object_size, std::size_t count)
        : size_((object_size + 63) / 64 * 64), storage_(new std::byte[size_ * count])
    {
        for (std::size_t i = count; i-- > 0;)
            push(storage_.get() + i * size_);
    }

    void* pop()
    {
        node* n = head_;
        if (!n) [[unlikely]]
            return nullptr;
        head_ = n->next;
        return n;
    }

    void push(void* p)
    {
        node* n = static_cast<node*>(p);
        n->next = head_;
        head_ = n;
    }

private:
    struct node {
        node* next;
    };
    std::size_t size_;
    std::unique_ptr<std::byte[]> storage_;
    node* head_ = nullptr;
};

// The lowest free descriptor in the kernel's two-level layout (fs/file.c):
// open_fds, one bit per fd; full_fds_bits, one bit per full word of open_fds;
// next_fd, the hint below which no fd is free.
class fd_bitmap {
public:
    explicit fd_bitmap(unsigned max_fds)
        : max_(max_fds), open_(max_fds / 64, 0), full_((max_fds / 64 + 63) / 64, 0)
    {
    }

    int set_lowest()
    {
        unsigned fd = next_;
        unsigned word = fd / 64;
        if (word >= open_.size())
            return -1;
        const std::uint64_t free_here = ~open_[word] >> (fd % 64);
        if (free_here) {
            fd += static_cast<unsigned>(std::countr_zero(free_here));
        } else {
            // the first word that is not full, after this one
            unsigned w = word + 1;
            for (;;) {
                const unsigned fw = w / 64;
                if (fw >= full_.size())
                    return -1;
                const std::uint64_t notfull = ~full_[fw] >> (w % 64);
                if (notfull) {
                    w += static_cast<unsigned>(std::countr_zero(notfull));
                    break;
                }
                w = (fw + 1) * 64;
            }
            word = w;
            fd = word * 64 + static_cast<unsigned>(std::countr_zero(~open_[word]));
        }
        if (fd >= max_)
            return -1;
        word = fd / 64;
        open_[word] |= std::uint64_t{1} << (fd % 64);
        if (open_[word] == ~std::uint64_t{0})
            full_[word / 64] |= std::uint64_t{1} << (word % 64);
        next_ = fd + 1;
        return static_cast<int>(fd);
    }

    void clear(unsigned fd)
    {
        const unsigned word = fd / 64;
        open_[word] &= ~(std::uint64_t{1} << (fd % 64));
        full_[word / 64] &= ~(std::uint64_t{1} << (word % 64));
        if (fd < next_)
            next_ = fd;
    }

private:
    unsigned max_;
    std::vector<std::uint64_t> open_;
    std::vector<std::uint64_t> full_;
    unsigned next_ = 0;
};

// The floor of socket()+close(): the three objects the kernel takes from its
// slabs (socket_alloc from sock_inode_cache, the proto's sock, the file from
// filp) and the lowest free fd, then all four given back.
struct floor_path {
    free_list inode, sk, filp;
    fd_bitmap fds;

    floor_path(std::size_t inode_size, std::size_t sk_size, std::size_t file_size)
        : inode(inode_size, 64), sk(sk_size, 64), filp(file_size, 64), fds(1024)
    {
        // A shell leaves fds 0-2 open, as the model's benchmarks do not: it
        // makes no difference to the work (the same word of open_fds).
    }
};

}  // namespace bench
