// Error numbers as the model returns them: the host's values, negated as the
// kernel returns them internally (-EINVAL), with names for messages and traces.
#pragma once

#include <cerrno>
#include <string_view>

namespace sockmodel {

namespace detail {
struct errno_entry {
    int value;
    std::string_view name;
};
// Aliases (EWOULDBLOCK, EDEADLOCK, ENOTSUP) come after their primary name, so a
// lookup by value finds the name strace prints.
inline constexpr errno_entry errno_table[] = {
    {EPERM, "EPERM"}, {ENOENT, "ENOENT"}, {ESRCH, "ESRCH"}, {EINTR, "EINTR"},
    {EIO, "EIO"}, {ENXIO, "ENXIO"}, {E2BIG, "E2BIG"}, {ENOEXEC, "ENOEXEC"},
    {EBADF, "EBADF"}, {ECHILD, "ECHILD"}, {EAGAIN, "EAGAIN"}, {ENOMEM, "ENOMEM"},
    {EACCES, "EACCES"}, {EFAULT, "EFAULT"}, {EBUSY, "EBUSY"}, {EEXIST, "EEXIST"},
    {EXDEV, "EXDEV"}, {ENODEV, "ENODEV"}, {ENOTDIR, "ENOTDIR"}, {EISDIR, "EISDIR"},
    {EINVAL, "EINVAL"}, {ENFILE, "ENFILE"}, {EMFILE, "EMFILE"}, {ENOTTY, "ENOTTY"},
    {EFBIG, "EFBIG"}, {ENOSPC, "ENOSPC"}, {ESPIPE, "ESPIPE"}, {EROFS, "EROFS"},
    {EMLINK, "EMLINK"}, {EPIPE, "EPIPE"}, {EDOM, "EDOM"}, {ERANGE, "ERANGE"},
    {EDEADLK, "EDEADLK"}, {ENAMETOOLONG, "ENAMETOOLONG"}, {ENOLCK, "ENOLCK"},
    {ENOSYS, "ENOSYS"}, {ENOTEMPTY, "ENOTEMPTY"}, {ELOOP, "ELOOP"},
    {ENOMSG, "ENOMSG"}, {EIDRM, "EIDRM"}, {ENOSTR, "ENOSTR"}, {ENODATA, "ENODATA"},
    {ETIME, "ETIME"}, {ENOSR, "ENOSR"}, {ENOLINK, "ENOLINK"}, {EPROTO, "EPROTO"},
    {EBADMSG, "EBADMSG"}, {EOVERFLOW, "EOVERFLOW"}, {EILSEQ, "EILSEQ"},
    {ENOTSOCK, "ENOTSOCK"}, {EDESTADDRREQ, "EDESTADDRREQ"}, {EMSGSIZE, "EMSGSIZE"},
    {EPROTOTYPE, "EPROTOTYPE"}, {ENOPROTOOPT, "ENOPROTOOPT"},
    {EPROTONOSUPPORT, "EPROTONOSUPPORT"}, {ESOCKTNOSUPPORT, "ESOCKTNOSUPPORT"},
    {EOPNOTSUPP, "EOPNOTSUPP"}, {EPFNOSUPPORT, "EPFNOSUPPORT"},
    {EAFNOSUPPORT, "EAFNOSUPPORT"}, {EADDRINUSE, "EADDRINUSE"},
    {EADDRNOTAVAIL, "EADDRNOTAVAIL"}, {ENETDOWN, "ENETDOWN"},
    {ENETUNREACH, "ENETUNREACH"}, {ENETRESET, "ENETRESET"},
    {ECONNABORTED, "ECONNABORTED"}, {ECONNRESET, "ECONNRESET"}, {ENOBUFS, "ENOBUFS"},
    {EISCONN, "EISCONN"}, {ENOTCONN, "ENOTCONN"}, {ESHUTDOWN, "ESHUTDOWN"},
    {ETIMEDOUT, "ETIMEDOUT"}, {ECONNREFUSED, "ECONNREFUSED"},
    {EHOSTDOWN, "EHOSTDOWN"}, {EHOSTUNREACH, "EHOSTUNREACH"},
    {EALREADY, "EALREADY"}, {EINPROGRESS, "EINPROGRESS"}, {ESTALE, "ESTALE"},
    {EDQUOT, "EDQUOT"}, {ECANCELED, "ECANCELED"}, {EOWNERDEAD, "EOWNERDEAD"},
    {ENOTRECOVERABLE, "ENOTRECOVERABLE"},
    {EWOULDBLOCK, "EWOULDBLOCK"}, {EDEADLOCK, "EDEADLOCK"}, {ENOTSUP, "ENOTSUP"},
};
}  // namespace detail

// "EAFNOSUPPORT" for EAFNOSUPPORT or -EAFNOSUPPORT; empty when unknown.
constexpr std::string_view errno_name(int err) noexcept
{
    const int e = err < 0 ? -err : err;
    for (const auto& entry : detail::errno_table)
        if (entry.value == e)
            return entry.name;
    return {};
}

// The errno whose name this is, or 0: for command lines and JSON readers.
constexpr int errno_from_name(std::string_view name) noexcept
{
    for (const auto& entry : detail::errno_table)
        if (entry.name == name)
            return entry.value;
    return 0;
}

// IS_ERR_VALUE's cousin for int returns: negative means -errno.
constexpr bool is_err(long ret) noexcept { return ret < 0; }

}  // namespace sockmodel
