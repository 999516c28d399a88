// fs/file.c's dup(2) and fs/fcntl.c's fcntl(2), as far as the socket path's
// descriptors need them: a second fd for an open file, F_GETFD and F_GETFL.
#pragma once

#include <sockmodel/fs/file.hpp>
#include <sockmodel/fs/file_table.hpp>
#include <sockmodel/kernel/context.hpp>
#include <sockmodel/kernel/task.hpp>
#include <sockmodel/lock/atomic.hpp>
#include <sockmodel/lock/spinlock.hpp>
#include <sockmodel/uapi/errno.hpp>

namespace sockmodel {

// fcntl(2) numbers, the same on every architecture.
inline constexpr int f_dupfd = 0, f_getfd = 1, f_setfd = 2, f_getfl = 3;
inline constexpr int fd_cloexec_flag = 1;

// fget: the file at fd with a new reference, against a close of fd.
template <class K>
file* fget(context<K>& cx, int fd)
{
    files_struct& files = *cx.current.files;
    auto file_lock = guard(cx, files.file_lock);
    file* f = files.lookup(fd);
    if (f)
        atomic_inc(cx, f->f_count);
    return f;
}

// dup(2): the lowest free fd for the same open file (close-on-exec clear).
template <class K>
int ksys_dup(context<K>& cx, int oldfd)
{
    file* f = fget(cx, oldfd);
    if (!f)
        return -EBADF;
    const int fd = get_unused_fd_flags(cx, 0);
    if (fd < 0) {
        fput(cx, f);
        return fd;
    }
    fd_install(cx, fd, f);
    return fd;
}

// do_fcntl for F_GETFD and F_GETFL; other commands are not modelled and
// answer EINVAL. The file stays installed while it is read (file_lock).
template <class K>
int do_fcntl(context<K>& cx, int fd, int cmd)
{
    files_struct& files = *cx.current.files;
    auto file_lock = guard(cx, files.file_lock);
    const file* f = files.lookup(fd);
    if (!f)
        return -EBADF;
    if (cmd == f_getfd)
        return files.close_on_exec(fd) ? fd_cloexec_flag : 0;
    if (cmd == f_getfl)
        return static_cast<int>(f->f_flags);
    return -EINVAL;
}

}  // namespace sockmodel
