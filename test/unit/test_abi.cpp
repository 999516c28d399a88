// The ABI policies against libc and the live kernel, and __sys_socket_create's
// flag check and __sys_socket's flag translation on every architecture.
#include <sockmodel/arch/host.hpp>
#include <sockmodel/net/socket.hpp>
#include <sockmodel/uapi/errno.hpp>

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <tuple>
#include <vector>

namespace {

using namespace sockmodel;
using host = arch::host;

// Every base type alone and with each flag, then stray bits: the table.
template <class A>
std::vector<int> type_table()
{
    std::vector<int> types;
    for (int base = 0; base <= 15; ++base) {
        types.push_back(base);
        types.push_back(base | A::sock_nonblock);
        types.push_back(base | A::sock_cloexec);
        types.push_back(base | A::sock_nonblock | A::sock_cloexec);
    }
    for (int stray : {0x10, 0x100, 0x1000, 0x40000000, INT_MIN, -1}) {
        types.push_back(stray);
        types.push_back(A::sock_stream | stray);
    }
    return types;
}

}  // namespace

TEST_CASE("host ABI constants equal libc's")
{
    CHECK(host::sock_stream == SOCK_STREAM);
    CHECK(host::sock_dgram == SOCK_DGRAM);
    CHECK(host::sock_raw == SOCK_RAW);
    CHECK(host::sock_rdm == SOCK_RDM);
    CHECK(host::sock_seqpacket == SOCK_SEQPACKET);
    CHECK(host::sock_dccp == SOCK_DCCP);
    CHECK(host::sock_packet == SOCK_PACKET);
    CHECK(host::sock_nonblock == SOCK_NONBLOCK);
    CHECK(host::sock_cloexec == SOCK_CLOEXEC);
    CHECK(host::o_nonblock == O_NONBLOCK);
    CHECK(host::o_cloexec == O_CLOEXEC);
    CHECK(host::o_rdwr == O_RDWR);
    CHECK(host::af_max == AF_MAX);
    CHECK(host::nproto == AF_MAX);
    CHECK(af_unix == AF_UNIX);
    CHECK(af_inet == AF_INET);
    CHECK(af_inet6 == AF_INET6);
    CHECK(af_packet == AF_PACKET);
    CHECK(af_netlink == AF_NETLINK);
    CHECK(af_vsock == AF_VSOCK);
    CHECK(af_xdp == AF_XDP);
    CHECK(family_names_count == AF_MAX);
}

TEST_CASE("errno names and values are the host's")
{
    CHECK(errno_name(-EAFNOSUPPORT) == "EAFNOSUPPORT");
    CHECK(errno_name(EINVAL) == "EINVAL");
    CHECK(errno_name(EWOULDBLOCK) == "EAGAIN");  // an alias takes its primary name
    CHECK(errno_name(100000).empty());
    CHECK(errno_from_name("ESOCKTNOSUPPORT") == ESOCKTNOSUPPORT);
    CHECK(errno_from_name("ENOPE") == 0);
}

TEST_CASE_TEMPLATE("flag check and translation on every ABI", A, arch::generic, arch::mips, arch::alpha,
                   arch::parisc, arch::sparc)
{
    for (int type : type_table<A>()) {
        CAPTURE(type);
        const unsigned outside = static_cast<unsigned>(type) & ~static_cast<unsigned>(A::sock_type_mask);
        const unsigned stray = outside & ~static_cast<unsigned>(A::sock_cloexec | A::sock_nonblock);
        CHECK(sock_check_type_flags<A>(type) == (stray ? -EINVAL : 0));
        if (stray)
            continue;
        CHECK(sock_mask_type<A>(type) == (type & 0xf));
        const int flags = sock_file_flags<A>(type);
        // Only O_CLOEXEC and O_NONBLOCK survive, each iff its SOCK_ flag was given.
        CHECK((flags & ~(A::o_cloexec | A::o_nonblock)) == 0);
        CHECK(((flags & A::o_cloexec) != 0) == ((outside & static_cast<unsigned>(A::sock_cloexec)) != 0));
        CHECK(((flags & A::o_nonblock) != 0) == ((outside & static_cast<unsigned>(A::sock_nonblock)) != 0));
    }
}

TEST_CASE("the host flag check agrees with the live kernel (family -1: EINVAL or EAFNOSUPPORT)")
{
    // With family -1 the kernel answers EINVAL when the flag check rejects the
    // type and EAFNOSUPPORT (the family range, the next check) when it passes.
    int checked = 0;
    for (int type : type_table<host>()) {
        CAPTURE(type);
        errno = 0;
        const int fd = ::socket(-1, type, 0);
        REQUIRE(fd == -1);
        const int model = sock_check_type_flags<host>(type);
        const int model_next = model ? model : sock_check_ranges<host>(-1, sock_mask_type<host>(type));
        CHECK(-errno == model_next);
        ++checked;
    }
    CHECK(checked == 16 * 4 + 12);
}
