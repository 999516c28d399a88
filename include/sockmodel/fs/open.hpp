// fs/open.c: close(2) → close_fd: the file leaves the table (file_close_fd),
// then fput_close_sync runs its release at once.
#pragma once

#include <sockmodel/fs/file.hpp>
#include <sockmodel/fs/file_table.hpp>
#include <sockmodel/kernel/context.hpp>
#include <sockmodel/lib/kstring.hpp>
#include <sockmodel/trace/trace.hpp>
#include <sockmodel/uapi/errno.hpp>

namespace sockmodel {

template <class K>
int close_fd(context<K>& cx, int fd)
{
    auto t = trace::enter(cx, "close");
    SOCKMODEL_TRACE_DESCRIBE(cx, t, [&] { return to_kstring(fd); });
    file* f = file_close_fd(cx, fd);
    if (!f)
        return t.ret(-EBADF);
    fput(cx, f);  // fput_close_sync: synchronous in close(2)
    return t.ret(0);
}

}  // namespace sockmodel
