// The state floor (issue #22): what the model's AF_INET/SOCK_STREAM
// socket()+close() leaves in memory, written as straight-line stores with no
// checks, no calls and no abstraction. Its objects mirror the model's member
// for member (socket_alloc = socket + inode, tcp_sock, file; the driver
// static_asserts the sizes), every field is stored with the value the model
// stores, every counter the model moves is moved (slab active counts,
// nr_files, the netns reference and sock_inuse, prot_inuse, get_next_ino's
// last number), the fd table gets its bit, next_fd and fd[] slot, and close
// undoes it: sock_orphan's stores, the refcounts to zero, the objects back
// on their free lists. Nothing of the model's code is used.
#pragma once

#include "common.hpp"

#include <climits>
#include <cstddef>
#include <cstdint>

namespace bench {

struct state_floor {
    // The model's objects, member for member (include/sockmodel/linux/net.hpp,
    // fs/inode.hpp, net/sock.hpp, net/inet_sock.hpp, net/ipv4/tcp.hpp,
    // linux/fs.hpp).
    struct socket_t {
        int state;
        short type;
        unsigned long flags;
        void* file;
        void* sk;
        const void* ops;
        void* wq_fasync_list;
        unsigned long wq_flags;
    };
    struct inode_t {
        void (*free_inode)(void*, void*);
        unsigned long i_ino;
        unsigned i_mode, i_uid, i_gid, i_nlink;
        int i_count;
    };
    struct socket_alloc_t {
        socket_t socket;
        inode_t vfs_inode;
    };
    struct tcp_sock_t {
        unsigned short sk_family, sk_type;
        int sk_protocol, sk_state;
        bool sk_reuse, sk_kern_sock, sk_net_refcnt, sk_ipv6only;
        unsigned long sk_flags;
        int sk_rcvbuf, sk_sndbuf;
        unsigned sk_refcnt, sk_wmem_alloc;
        int sk_peek_off, sk_rcvlowat;
        long sk_rcvtimeo, sk_sndtimeo;
        int sk_incoming_cpu;
        unsigned sk_uid;
        void* sk_socket;
        void* sk_wq;
        const void* sk_prot;
        const void* sk_prot_creator;
        void* sk_net;
        void* sk_prot_state;
        void (*sk_destruct)(void*, void*);
        // inet_sock
        void* pinet6;
        unsigned short inet_num, inet_sport;
        int uc_ttl, mc_ttl, pmtudisc;
        bool hdrincl, mc_loop, mc_all, is_icsk;
        // inet_connection_sock, tcp_sock
        const void* icsk_af_ops;
        unsigned snd_cwnd, mss_cache, snd_ssthresh;
    };
    struct file_t {
        long f_count;
        unsigned f_flags, f_mode;
        const void* f_op;
        void* f_inode;
        std::size_t name_len;
        const char* name_ptr;
        void* private_data;
    };

    free_list inode{sizeof(socket_alloc_t), 64}, sk{sizeof(tcp_sock_t), 64}, filp{sizeof(file_t), 64};
    // The counters the model moves.
    std::size_t inode_active = 0, sk_active = 0, filp_active = 0;
    long nr_files = 0, net_refcount = 1, sock_inuse = 0, prot_inuse = 0;
    unsigned last_ino = 0;
    // The fd table's first word and its slots.
    unsigned next_fd = 0;
    std::uint64_t open_fds = 0;
    void* fd[64] = {};
    // What the stores point at: the ops tables, the proto, the netns, the cred.
    char ops = 0, prot = 0, prot_state = 0, net = 0, fops = 0;
    unsigned uid = 0, gid = 0;
    int rmem_default = 212992, wmem_default = 212992;
    static void free_inode_fn(void*, void*) {}
    static void destruct_fn(void*, void*) {}

    // socket(AF_INET, SOCK_STREAM, 0): the lowest fd is known to be the one
    // below next_fd's word's first zero (no search beyond it, no limit check).
    [[gnu::always_inline]] int socket()
    {
        auto* ei = static_cast<socket_alloc_t*>(inode.pop());
        auto* tp = static_cast<tcp_sock_t*>(sk.pop());
        auto* f = static_cast<file_t*>(filp.pop());
        ++inode_active;
        ++sk_active;
        ++filp_active;
        socket_t& s = ei->socket;
        inode_t& i = ei->vfs_inode;
        s = socket_t{1 /* SS_UNCONNECTED */, 1 /* SOCK_STREAM */, 0, f, tp, &ops, nullptr, 0};
        i = inode_t{&free_inode_fn, ++last_ino, 0140777, uid, gid, 1, 1};
        *tp = tcp_sock_t{2, 1, 6, 7 /* TCP_CLOSE */, false, false, true, false, 1UL << 1 /* SOCK_ZAPPED */,
                         rmem_default, wmem_default, 1, 1, -1, 1, LONG_MAX, LONG_MAX, -1, uid, &s, &s.wq_fasync_list,
                         &prot, &prot, &net, &prot_state, &destruct_fn, nullptr, 0, 0, -1, 1, 1 /* IP_PMTUDISC_WANT */,
                         false, true, true, true, tp, 10, 536, 0x7fffffff};
        ++net_refcount;
        ++sock_inuse;
        ++prot_inuse;
        *f = file_t{1, 2 /* O_RDWR */, 0x3c3 /* READ, WRITE, STREAM, NOWAIT, OPENED, NONOTIFY_PERM, as sock_alloc_file leaves it */, &fops, &i, 3, "TCP", &s};
        ++nr_files;
        const unsigned n = next_fd + static_cast<unsigned>(std::countr_zero(~open_fds >> next_fd));
        open_fds |= std::uint64_t{1} << n;
        next_fd = n + 1;
        fd[n] = f;
        return static_cast<int>(n);
    }

    // close(fd): the slot and the bit given back, sock_orphan, every
    // reference to zero, the counters back, the objects freed.
    [[gnu::always_inline]] void close(int n)
    {
        auto* f = static_cast<file_t*>(fd[n]);
        fd[n] = nullptr;
        open_fds &= ~(std::uint64_t{1} << n);
        next_fd = static_cast<unsigned>(n);
        auto* s = static_cast<socket_t*>(f->private_data);
        auto* tp = static_cast<tcp_sock_t*>(s->sk);
        auto* i = static_cast<inode_t*>(f->f_inode);
        tp->sk_flags |= 1UL << 0;  // SOCK_DEAD
        tp->sk_socket = nullptr;
        tp->sk_wq = nullptr;
        tp->sk_refcnt = 0;
        tp->sk_wmem_alloc = 0;
        s->sk = nullptr;
        --prot_inuse;
        --sock_inuse;
        --net_refcount;
        i->i_count = 0;
        f->f_count = 0;
        --nr_files;
        sk.push(tp);
        --sk_active;
        inode.push(s);
        --inode_active;
        filp.push(f);
        --filp_active;
    }
};

}  // namespace bench
