// Compile-time tests of the configuration layer: the ABI predicate with each
// of the kernel's four BUILD_BUG_ON checks (and NPROTO == AF_MAX) broken on
// its own, the shipped ABIs accepted, the family concept, is_config, and the
// option pack's defaults as config.hpp documents them. Needs no root.
//
// Ground truth: the shipped ABIs' constants come from the kernel's uapi
// headers; on this x86_64 host arch::host is arch::generic, whose numbers are
// checked against <sys/socket.h>, <fcntl.h> and <sys/resource.h> below (the
// host's libc headers, which follow the running kernel's uapi).

#include <sockmodel/sockmodel.hpp>

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <tuple>
#include <type_traits>

namespace {

using namespace sockmodel;
namespace a = sockmodel::arch;

// --- ABIs, each with one constant changed from arch::generic -----------------

// BUILD_BUG_ON(SOCK_CLOEXEC != O_CLOEXEC)
struct abi_cloexec_differs : a::generic {
    static constexpr int sock_cloexec = 0x100000;  // still outside the type mask
};
// BUILD_BUG_ON((SOCK_MAX | SOCK_TYPE_MASK) != SOCK_TYPE_MASK)
struct abi_sock_max_too_big : a::generic {
    static constexpr int sock_max = 16;
    static constexpr int nproto = af_max;
};
// BUILD_BUG_ON(SOCK_CLOEXEC & SOCK_TYPE_MASK): O_CLOEXEC moved with it, so the
// first check still holds
struct abi_cloexec_in_mask : a::generic {
    static constexpr int o_cloexec = 0x8;
    static constexpr int sock_cloexec = o_cloexec;
};
// BUILD_BUG_ON(SOCK_NONBLOCK & SOCK_TYPE_MASK)
struct abi_nonblock_in_mask : a::generic {
    static constexpr int sock_nonblock = 0x4;
};
// NPROTO != AF_MAX
struct abi_nproto_differs : a::generic {
    static constexpr int nproto = 45;
};
// A constant missing: not an ABI at all.
struct abi_no_rlimit_nofile : a::common_abi {
    static constexpr std::string_view name = "incomplete";
    static constexpr int sock_stream = 1, sock_dgram = 2;
    static constexpr int o_nonblock = 00004000, o_cloexec = 02000000;
    static constexpr int sock_nonblock = o_nonblock, sock_cloexec = o_cloexec;
    static constexpr int sol_socket = 1, so_type = 3, so_protocol = 38, so_domain = 39;
};
// A constant of the wrong type: sock_stream a long.
struct abi_long_stream : a::generic {
    static constexpr long sock_stream = 1;
};

static_assert(a::socket_abi<a::generic>);
static_assert(a::socket_abi<a::mips>);
static_assert(a::socket_abi<a::alpha>);
static_assert(a::socket_abi<a::parisc>);
static_assert(a::socket_abi<a::sparc>);
static_assert(a::socket_abi<a::host>);
static_assert(std::apply([](auto... abis) { return (a::socket_abi<decltype(abis)> && ...); }, a::all_abis{}));
static_assert(std::tuple_size_v<a::all_abis> == 5);

static_assert(!a::socket_abi<abi_cloexec_differs>);
static_assert(!a::sock_cloexec_is_o_cloexec<abi_cloexec_differs>);
static_assert(a::sock_max_fits_mask<abi_cloexec_differs> && a::sock_cloexec_outside_mask<abi_cloexec_differs> &&
              a::sock_nonblock_outside_mask<abi_cloexec_differs> && a::nproto_is_af_max<abi_cloexec_differs>);

static_assert(!a::socket_abi<abi_sock_max_too_big>);
static_assert(!a::sock_max_fits_mask<abi_sock_max_too_big>);
static_assert(a::sock_cloexec_is_o_cloexec<abi_sock_max_too_big> && a::nproto_is_af_max<abi_sock_max_too_big>);

static_assert(!a::socket_abi<abi_cloexec_in_mask>);
static_assert(!a::sock_cloexec_outside_mask<abi_cloexec_in_mask>);
static_assert(a::sock_cloexec_is_o_cloexec<abi_cloexec_in_mask> && a::sock_max_fits_mask<abi_cloexec_in_mask>);

static_assert(!a::socket_abi<abi_nonblock_in_mask>);
static_assert(!a::sock_nonblock_outside_mask<abi_nonblock_in_mask>);
static_assert(a::sock_cloexec_is_o_cloexec<abi_nonblock_in_mask> && a::sock_cloexec_outside_mask<abi_nonblock_in_mask>);

static_assert(!a::socket_abi<abi_nproto_differs>);
static_assert(!a::nproto_is_af_max<abi_nproto_differs>);
static_assert(a::abi_constants<abi_nproto_differs>);

static_assert(!a::abi_constants<abi_no_rlimit_nofile>);
static_assert(!a::socket_abi<abi_no_rlimit_nofile>);
static_assert(!a::abi_constants<abi_long_stream>);
static_assert(!a::socket_abi<int>);

// The host's ABI against its libc headers (this is an x86_64 host).
static_assert(std::is_same_v<a::host, a::generic>);
static_assert(a::host::sock_stream == SOCK_STREAM && a::host::sock_dgram == SOCK_DGRAM &&
              a::host::sock_raw == SOCK_RAW && a::host::sock_seqpacket == SOCK_SEQPACKET &&
              a::host::sock_packet == SOCK_PACKET);
static_assert(a::host::sock_nonblock == SOCK_NONBLOCK && a::host::sock_cloexec == SOCK_CLOEXEC);
static_assert(a::host::o_nonblock == O_NONBLOCK && a::host::o_cloexec == O_CLOEXEC && a::host::o_rdwr == O_RDWR);
static_assert(a::host::af_max == AF_MAX && a::host::rlimit_nofile == RLIMIT_NOFILE);
static_assert(a::host::sol_socket == SOL_SOCKET && a::host::so_type == SO_TYPE &&
              a::host::so_protocol == SO_PROTOCOL && a::host::so_domain == SO_DOMAIN);

// --- families ------------------------------------------------------------------

using K = kernel<>;
struct not_a_family {
    static constexpr int family = 40;
};
struct family_without_construct {
    static constexpr int family = 40;
    static constexpr const module* owner = nullptr;
    static constexpr std::string_view create_name = "x_create";
    template <class K_>
    using protosw = inetsw<K_>;
    template <class K_>
    static constexpr create_choice choose(const create_context&, int, int) { return {}; }
};
static_assert(!protocol_family<not_a_family, K>);
static_assert(!protocol_family<family_without_construct, K>);
static_assert(!protocol_family<int, K>);
static_assert(protocol_family<unix_family, K>);
static_assert(protocol_family<inet_family, K>);
static_assert(protocol_table<inetsw<K>>);
static_assert(!protocol_table<int>);

// --- config ----------------------------------------------------------------------

struct derived_config : config<> {
    int extra = 1;  // would be ignored by kernel<>: hence not a config
};
static_assert(is_config<config<>>);
static_assert(is_config<default_config>);
static_assert(is_config<config<opt::tracer<trace::recorder>>>);
static_assert(is_config<config<opt::abi<a::mips>, opt::families<unix_family>>>);
static_assert(!is_config<derived_config>);
static_assert(!is_config<int>);
static_assert(!is_config<opt::tracer<trace::recorder>>);

// The defaults config.hpp documents: the host's ABI, no tracing, no LSM, no
// BPF hook, the families of default_families.hpp.
static_assert(std::is_same_v<config<>::abi, a::host>);
static_assert(std::is_same_v<config<>::tracer, trace::none>);
static_assert(std::is_same_v<config<>::security, lsm::none>);
static_assert(std::is_same_v<config<>::update_socket_protocol, no_bpf_protocol_hook>);
static_assert(std::is_same_v<config<>::families, default_families>);
static_assert(std::is_same_v<K::families, family_list<netlink_family, inet_family, unix_family, xsk_family, inet6_family,
                                                     packet_family, vsock_family>>);
static_assert(std::is_same_v<K::abi, a::host>);
static_assert(no_bpf_protocol_hook::apply(AF_INET, SOCK_STREAM, 7) == 7);

using traced = config<opt::tracer<trace::recorder>>;
static_assert(std::is_same_v<traced::tracer, trace::recorder>);
static_assert(std::is_same_v<traced::abi, a::host>);  // the others keep their defaults
static_assert(std::is_same_v<traced::families, default_families>);
static_assert(trace::enabled<trace::recorder> && !trace::enabled<trace::none>);

// Options in any order.
using mips_traced = config<opt::abi<a::mips>, opt::tracer<trace::recorder>>;
using traced_mips = config<opt::tracer<trace::recorder>, opt::abi<a::mips>>;
static_assert(std::is_same_v<mips_traced::abi, traced_mips::abi>);
static_assert(std::is_same_v<mips_traced::tracer, traced_mips::tracer>);
static_assert(std::is_same_v<kernel<mips_traced>::abi, a::mips>);

using only_unix = config<opt::families<unix_family>>;
static_assert(std::is_same_v<kernel<only_unix>::families, family_list<unix_family>>);

// Verdicts differ by ABI as the numbers do: mips swaps STREAM and DGRAM.
static_assert(socket_verdict_for<kernel<config<opt::abi<a::mips>>>>({}, cred::root(), AF_INET, a::mips::sock_stream, 0)
                  .protocol == 6);
static_assert(socket_verdict_for<kernel<config<opt::abi<a::mips>>>>({}, cred::root(), AF_INET, 2, 0).type ==
              a::mips::sock_stream);
static_assert(socket_verdict_for<kernel<only_unix>>({}, cred::root(), AF_INET, SOCK_STREAM, 0).err == -EAFNOSUPPORT);

}  // namespace

TEST_CASE("config: a traced kernel records the system call")
{
    kernel<traced> k;
    task_struct& t = k.spawn();
    REQUIRE(!k.tracer.events.empty());  // boot's registrations (sock_register, ...) are traced too
    k.tracer.clear();
    const int fd = k.socket(t, AF_INET, SOCK_STREAM, 0);
    CHECK(fd == 0);
    REQUIRE(!k.tracer.events.empty());
    CHECK(k.tracer.events.front().fn == "__sys_socket");
    CHECK(k.tracer.events.front().what == trace::kind::enter);
    CHECK(k.close(t, fd) == 0);
    k.exit_all();
    CHECK(k.counters() == kernel_counters{});
    static_assert(std::is_empty_v<trace::none>);
}

TEST_CASE("config: a kernel of one family knows no other")
{
    kernel<only_unix> k;
    task_struct& t = k.spawn();
    CHECK(k.socket(t, AF_INET, SOCK_STREAM, 0) == -EAFNOSUPPORT);
    const int fd = k.socket(t, AF_UNIX, SOCK_STREAM, 0);
    CHECK(fd == 0);
    CHECK(k.close(t, fd) == 0);
    k.exit_all();
    CHECK(k.counters() == kernel_counters{});
}
