// struct sock and struct proto (include/net/sock.h), and the socket_alloc that
// pairs a socket with its inode, with SOCKET_I/SOCK_INODE between the two.
#pragma once

#include <sockmodel/fs/inode.hpp>
#include <sockmodel/kernel/cred.hpp>
#include <sockmodel/kernel/module.hpp>
#include <sockmodel/linux/net.hpp>
#include <sockmodel/lock/atomic.hpp>
#include <sockmodel/net/net_namespace.hpp>

#include <boost/intrusive/parent_from_member.hpp>

#include <cerrno>
#include <climits>
#include <cstddef>
#include <new>
#include <string_view>
#include <type_traits>

namespace sockmodel {

struct proto_state;
struct ipv6_pinfo;

inline constexpr int tcp_established_state = 1;  // TCP_ESTABLISHED
inline constexpr int tcp_close_state = 7;  // TCP_CLOSE, the state sock_init_data sets
inline constexpr long max_schedule_timeout = LONG_MAX;

enum class sock_flag : unsigned { dead, zapped, rcu_free, linger };

struct sock {
    unsigned short sk_family = 0;
    unsigned short sk_type = 0;
    int sk_protocol = 0;
    int sk_state = 0;
    bool sk_reuse = false;
    bool sk_kern_sock = false;
    bool sk_net_refcnt = false;
    bool sk_ipv6only = false;
    unsigned long sk_flags = 0;
    int sk_rcvbuf = 0;
    int sk_sndbuf = 0;
    refcount_t sk_refcnt;     // sock_hold / sock_put
    refcount_t sk_wmem_alloc; // sk_free's reference until the last write is freed
    int sk_peek_off = 0;
    int sk_rcvlowat = 0;
    long sk_rcvtimeo = 0;
    long sk_sndtimeo = 0;
    int sk_incoming_cpu = 0;
    kuid_t sk_uid = 0;
    socket* sk_socket = nullptr;
    socket_wq* sk_wq = nullptr;
    const struct proto* sk_prot = nullptr;
    const struct proto* sk_prot_creator = nullptr;
    struct net* sk_net = nullptr;
    // prot->slab and prot->inuse_idx in the kernel; per model kernel here, so
    // kept with the sock by sk_prot_alloc (net/core/sock.hpp).
    proto_state* sk_prot_state = nullptr;
    void (*sk_destruct)(void* cx, sock& sk) = nullptr;

    constexpr bool flag(sock_flag f) const { return (sk_flags >> static_cast<unsigned>(f)) & 1UL; }
    constexpr void set_flag(sock_flag f) { sk_flags |= 1UL << static_cast<unsigned>(f); }
    constexpr void reset_flag(sock_flag f) { sk_flags &= ~(1UL << static_cast<unsigned>(f)); }
};

// The zeroed object sk_prot_alloc hands out, as the proto's own type. The
// kernel reads a proto's sock through sk_to_xxx casts that assume the struct
// sock sits at the start of the object.
template <class T>
struct proto_object {
    static_assert(std::is_base_of_v<sock, T>,
                  "proto object type does not start with struct sock (include/net/sock.h: sk_alloc hands out "
                  "obj_size bytes and the stack casts them to struct sock *): derive the type from sockmodel::sock");
    static sock* construct(void* mem) { return ::new (mem) T{}; }
    static void destroy(sock* sk) { static_cast<T*>(sk)->~T(); }
    static constexpr std::size_t size = sizeof(T);
    static constexpr std::size_t align = alignof(T);
};

// A transport's table (struct proto), written with designated initializers.
// .obj = proto_object<T>{} fixes the object type (which must derive from
// sock), its size and its constructor: the kernel's slab of obj_size.
struct proto {
    struct object_type {
        std::size_t size = 0;
        std::size_t align = 0;
        fn_slot<sock*(void* mem)> construct{};
        fn_slot<void(sock* sk)> destroy{};

        constexpr object_type() = default;
        template <class T>
        constexpr object_type(proto_object<T>)  // NOLINT: implicit, reads as `.obj = proto_object<T>{}`
            : size(proto_object<T>::size), align(proto_object<T>::align),
              construct(&proto_object<T>::construct), destroy(&proto_object<T>::destroy)
        {
        }
    };

    std::string_view name{};  // the dentry name of its files: "TCP", "UNIX-STREAM"
    const module* owner = nullptr;
    object_type obj{};
    fn_slot<int(void* cx, sock& sk)> init{};  // may be unset
    // The part of init that can refuse, as a constexpr test of the sysctls and
    // the caller's credentials, shared by init and the verdict (may be unset).
    fn_slot<int(const net_sysctl& sysctl, const cred& c)> init_check{};
    fn_slot<void(void* cx, sock& sk, long timeout)> close{};
    fn_slot<int(void* cx, sock& sk)> hash{};      // may be unset
    fn_slot<void(void* cx, sock& sk)> unhash{};   // may be unset
    fn_slot<void(void* cx, sock& sk)> destroy{};  // may be unset
    // prot->ipv6_pinfo_offset, as the function that finds the ipv6_pinfo in
    // the proto's object (inet6_sk_generic); set in the AF_INET6 protos only.
    fn_slot<ipv6_pinfo*(sock& sk)> ipv6_pinfo_of{};
    // The family's getsockopt (prot->getsockopt through sock_common_getsockopt,
    // or the ops' own) for an option the model does not keep: getsockopt_own
    // at the levels the proto and the layers under it know (no_level: none),
    // getsockopt_other_level at any other.
    static constexpr int no_level = -0x7fffffff - 1;
    int getsockopt_levels[3] = {no_level, no_level, no_level};
    int getsockopt_own = -ENOPROTOOPT;
    int getsockopt_other_level = -ENOPROTOOPT;  // -EOPNOTSUPP under IPv4 (do_ip_getsockopt)
    // tcp_init_sock's buffers: sk_sndbuf/sk_rcvbuf are net.ipv4.tcp_wmem[1] and
    // tcp_rmem[1] (TCP, MPTCP). The model reads them when asked (SO_SNDBUF,
    // SO_RCVBUF, SO_MEMINFO) rather than storing them at init, which keeps
    // socket() as short as it was.
    bool tcp_buffers = false;
    // sk->sk_peer_cred, kept by the families that set it (unix: a socketpair's
    // creator): NULL, or unset, for a sock that has no peer.
    fn_slot<const cred*(const sock& sk)> peer_cred{};
};

// What the kernel would dereference without a NULL check.
constexpr bool proto_complete(const proto& p)
{
    return !p.name.empty() && p.obj.construct.is_set() && p.obj.destroy.is_set() && p.close.is_set();
}

// include/linux/container_of.h: the parent of a member, with the kernel's
// check that the pointer really is of the member's type.
template <class Parent, class Ptr, class Member>
Parent& container_of(Ptr& member, Member Parent::*field)
{
    static_assert(std::is_same_v<std::remove_cv_t<Ptr>, Member>,
                  "pointer type mismatch in container_of() (include/linux/container_of.h)");
    static_assert(std::is_standard_layout_v<Parent>,
                  "container_of() needs a standard-layout parent (include/linux/container_of.h)");
    return *boost::intrusive::get_parent_from_member(&member, field);
}

// include/net/sock.h: one object from sock_inode_cachep holds both halves.
struct socket_alloc {
    struct socket socket;
    struct inode vfs_inode;
};

// Both instantiate container_of<socket_alloc>, whose checks guard the layout.
inline socket& SOCKET_I(inode& i) { return container_of(i, &socket_alloc::vfs_inode).socket; }
inline inode& SOCK_INODE(socket& s) { return container_of(s, &socket_alloc::socket).vfs_inode; }

}  // namespace sockmodel
