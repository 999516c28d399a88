// The inode half of a socket (include/linux/fs.h) and get_next_ino (fs/inode.c).
#pragma once

#include <sockmodel/kernel/cred.hpp>
#include <sockmodel/lock/atomic.hpp>
#include <sockmodel/lock/up.hpp>

namespace sockmodel {

inline constexpr unsigned s_ifsock = 0140000;
inline constexpr unsigned s_irwxugo = 0777;

struct inode {
    // i_sb->s_op->free_inode: what the last iput() calls (sockfs: the
    // socket_alloc goes back to sock_inode_cache).
    void (*free_inode)(void* cx, inode& i) = nullptr;
    unsigned long i_ino = 0;
    unsigned i_mode = 0;
    kuid_t i_uid = 0;
    kgid_t i_gid = 0;
    unsigned i_nlink = 1;   // inode_init_always
    atomic_t i_count{1};    // inode_init_always
};

// get_next_ino (fs/inode.c) hands out numbers from per-CPU batches of
// LAST_INO_BATCH taken from a shared counter; numbers are 32-bit, wrap, and
// skip 0. `last_ino` is the calling CPU's; the model runs on one CPU unless
// told otherwise (lock::smp), so its numbers come out in order.
inline constexpr unsigned last_ino_batch = 1024;
template <class X>
unsigned get_next_ino(const X& x, unsigned& last_ino, basic_atomic<unsigned>& shared_last_ino)
{
    unsigned res = last_ino;
    if ((res & (last_ino_batch - 1)) == 0)
        res = atomic_add_return(x, shared_last_ino, last_ino_batch) - last_ino_batch;
    ++res;
    if (res == 0)  // never hand out inode number 0
        ++res;
    last_ino = res;
    return res;
}

// The shared counter, and one CPU's last number for a caller without a kernel.
class ino_allocator {
public:
    static constexpr unsigned last_ino_batch = sockmodel::last_ino_batch;

    ino_allocator() = default;
    // Starts the shared counter elsewhere, e.g. just below the 32-bit wrap.
    explicit ino_allocator(unsigned shared_start) { shared_.counter = shared_start; }

    unsigned get_next_ino() { return sockmodel::get_next_ino(lock::none{}, last_ino_, shared_); }
    basic_atomic<unsigned>& shared_last_ino() { return shared_; }

private:
    unsigned last_ino_ = 0;          // this CPU's last number
    basic_atomic<unsigned> shared_;  // the shared atomic of fs/inode.c
};

// iput: the last reference frees the inode through its superblock.
template <class Cx>
void iput(Cx& cx, inode& i)
{
    if (atomic_dec_and_test(cx, i.i_count))
        i.free_inode(&cx, i);
}

}  // namespace sockmodel
