// struct socket, its ops table and the family table entry (include/linux/net.h).
//
// Tables are constant data shared by every model kernel of one configuration;
// the functions in them receive the call context as `void* cx` and are
// generated per configuration (see kernel_fn in kernel/context.hpp), so the
// structs here stay plain, non-template types that read like their kernel
// namesakes, written with designated initializers as the kernel writes them:
//
//     inline constexpr proto_ops my_ops{
//         .family = af_can, .owner = &can_module, .name = "my_ops",
//         .release = &kernel_fn<K, &my_release<K>>::call,
//         .bind = {"my_bind"}, .connect = sock_no_connect, ...};
#pragma once

#include <sockmodel/kernel/context.hpp>
#include <sockmodel/kernel/module.hpp>
#include <sockmodel/uapi/errno.hpp>

#include <string_view>

namespace sockmodel {

struct file;
struct sock;
struct net;

enum socket_state { SS_FREE = 0, SS_UNCONNECTED, SS_CONNECTING, SS_CONNECTED, SS_DISCONNECTING };

struct socket_wq {
    void* fasync_list = nullptr;
    unsigned long flags = 0;
};

struct proto_ops;

struct socket {
    socket_state state = SS_UNCONNECTED;  // sock_alloc_inode
    short type = 0;
    unsigned long flags = 0;
    struct file* file = nullptr;
    struct sock* sk = nullptr;
    const proto_ops* ops = nullptr;
    socket_wq wq;
};

// An operation the model names but does not run: either the kernel function
// that implements it ("inet_bind"), or a sock_no_* stub with the errno that
// stub returns. A table is complete when every slot names something.
struct op_slot {
    std::string_view fn;
    int no_errno = 0;  // the sock_no_* answer, 0 for a real implementation

    constexpr bool is_set() const { return !fn.empty(); }
};

// net/core/sock.c's stubs and what they answer.
inline constexpr op_slot sock_no_bind{"sock_no_bind", -EOPNOTSUPP};
inline constexpr op_slot sock_no_connect{"sock_no_connect", -EOPNOTSUPP};
inline constexpr op_slot sock_no_socketpair{"sock_no_socketpair", -EOPNOTSUPP};
inline constexpr op_slot sock_no_accept{"sock_no_accept", -EOPNOTSUPP};
inline constexpr op_slot sock_no_getname{"sock_no_getname", -EOPNOTSUPP};
inline constexpr op_slot sock_no_ioctl{"sock_no_ioctl", -EOPNOTSUPP};
inline constexpr op_slot sock_no_listen{"sock_no_listen", -EOPNOTSUPP};
inline constexpr op_slot sock_no_shutdown{"sock_no_shutdown", -EOPNOTSUPP};
inline constexpr op_slot sock_no_sendmsg{"sock_no_sendmsg", -EOPNOTSUPP};
inline constexpr op_slot sock_no_recvmsg{"sock_no_recvmsg", -EOPNOTSUPP};
inline constexpr op_slot sock_no_mmap{"sock_no_mmap", -ENODEV};

// setsockopt/getsockopt left NULL in a table (unix, packet_ops_spkt):
// __sys_setsockopt answers EOPNOTSUPP for levels other than SOL_SOCKET.
inline constexpr op_slot unset_sockopt{"(NULL: __sys_[gs]etsockopt answers EOPNOTSUPP)", -EOPNOTSUPP};

// The socketpair op, the one slot the model runs (__sys_socketpair calls it):
// either a sock_no_* stub, which answers its errno (sock_no_socketpair), or a
// function with its name for traces:
//
//     .socketpair = sock_no_socketpair,
//     .socketpair = {"unix_socketpair", &kernel_fn<K, &unix_socketpair<K>>::call},
//
// A name alone ({"my_socketpair"}) builds, but the table is incomplete: the
// model would have nothing to run there (checked_ops says so).
struct socketpair_slot {
    using fn_type = int(void* cx, socket& socka, socket& sockb);

    std::string_view fn{};
    int no_errno = 0;  // the stub's answer, 0 for a function
    fn_slot<fn_type> run{};

    constexpr socketpair_slot() = default;
    constexpr socketpair_slot(const op_slot& stub) : fn(stub.fn), no_errno(stub.no_errno) {}  // NOLINT: implicit
    constexpr socketpair_slot(std::string_view name) : fn(name) {}                           // NOLINT: implicit
    constexpr socketpair_slot(std::string_view name, fn_slot<fn_type> f) : fn(name), run(f) {}

    // Named, and either a stub with its errno or a function to run.
    constexpr bool is_set() const { return !fn.empty() && (no_errno != 0 || run.is_set()); }
    constexpr bool is_stub() const { return no_errno != 0; }
};

// Every member has a default (so designated initializers may leave any out
// without a -Wmissing-field-initializers warning); every slot left out stays unset, and an unset slot fails
// the completeness check below: the kernel would dereference NULL there.
struct proto_ops {
    int family = -1;
    const module* owner = nullptr;
    std::string_view name{};  // "inet_stream_ops"
    fn_slot<int(void* cx, socket& sock)> release{};
    op_slot bind{}, connect{};
    socketpair_slot socketpair{};
    op_slot accept{}, getname{}, poll{}, ioctl{}, listen{}, shutdown{}, setsockopt{}, getsockopt{}, sendmsg{},
        recvmsg{}, mmap{};
    // Whether the table has set_peek_off (SO_PEEK_OFF is EOPNOTSUPP without).
    bool set_peek_off = false;
};

// What the kernel would catch as a NULL dereference the model refuses to build.
constexpr bool proto_ops_complete(const proto_ops& o)
{
    return o.release.is_set() && !o.name.empty() && o.bind.is_set() && o.connect.is_set() &&
           o.socketpair.is_set() && o.accept.is_set() && o.getname.is_set() && o.poll.is_set() &&
           o.ioctl.is_set() && o.listen.is_set() && o.shutdown.is_set() &&
           o.setsockopt.is_set() && o.getsockopt.is_set() && o.sendmsg.is_set() &&
           o.recvmsg.is_set() && o.mmap.is_set();
}

// The same, as a compile-time check of one table; the table's name appears in
// the instantiation that fails.
template <const proto_ops* Ops>
struct checked_ops {
    static_assert(proto_ops_complete(*Ops),
                  "proto_ops table incomplete (include/linux/net.h: the kernel calls every op without a NULL "
                  "check): give every slot a function or a sock_no_* stub");
    static constexpr bool value = true;
};

// net_families[] entries, as sock_register() takes them.
struct net_proto_family {
    int family = -1;
    fn_slot<int(void* cx, net& net, socket& sock, int protocol, int kern)> create{};
    const module* owner = nullptr;
};

}  // namespace sockmodel
