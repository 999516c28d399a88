// struct file and file_operations (include/linux/fs.h) as fs/file_table.c
// allocates them for a pseudo filesystem, with the f_mode bits
// alloc_file_pseudo and sock_alloc_file set.
#pragma once

#include <sockmodel/fs/inode.hpp>
#include <sockmodel/lock/atomic.hpp>

#include <string_view>

namespace sockmodel {

struct file;

struct file_operations {
    std::string_view name;  // "socket_file_ops"
    int (*release)(void* cx, inode& i, file& f);
};

// f_mode bits; the model keeps their names, not their kernel bit positions.
enum fmode : unsigned {
    FMODE_READ = 1U << 0,
    FMODE_WRITE = 1U << 1,
    FMODE_LSEEK = 1U << 2,
    FMODE_PREAD = 1U << 3,
    FMODE_PWRITE = 1U << 4,
    FMODE_ATOMIC_POS = 1U << 5,
    FMODE_STREAM = 1U << 6,
    FMODE_NOWAIT = 1U << 7,
    FMODE_OPENED = 1U << 8,
    FMODE_NONOTIFY_PERM = 1U << 9,
};

struct file {
    atomic_long_t f_count{1};  // file_ref_t: the reference alloc_empty_file returns
    unsigned f_flags = 0;
    unsigned f_mode = 0;
    const file_operations* f_op = nullptr;
    struct inode* f_inode = nullptr;
    std::string_view f_dentry_name;  // d_name of the pseudo dentry: "TCP"
    void* private_data = nullptr;    // the struct socket, for socket files
};

}  // namespace sockmodel
