// ABI constants and flag translation at compile time: compiling this file is
// passing. The values come from the kernel's uapi headers; test/unit/test_abi.cpp
// checks the host's against libc and the live kernel.
#include <sockmodel/arch/host.hpp>
#include <sockmodel/net/socket.hpp>

namespace {
using namespace sockmodel;

// The octal flag values, which write-ups often misread as hex.
static_assert(arch::generic::o_cloexec == 0x80000);
static_assert(arch::generic::o_nonblock == 0x800);
static_assert(arch::sparc::o_nonblock == 0x4000);
static_assert(arch::mips::sock_stream == 2 && arch::mips::sock_dgram == 1);
static_assert(arch::alpha::o_nonblock == 4 && arch::alpha::sock_nonblock == 0x40000000);

// alpha: O_NONBLOCK (4) inside type changes the type, because it lies in SOCK_TYPE_MASK.
namespace alpha_quirk {
using A = arch::alpha;
constexpr int type = A::sock_stream | A::o_nonblock;
static_assert(sock_check_type_flags<A>(type) == 0);
static_assert(sock_mask_type<A>(type) == A::sock_seqpacket);
static_assert(sock_file_flags<A>(type) == 0);  // and the socket is not non-blocking
// SOCK_NONBLOCK is translated to alpha's O_NONBLOCK for the file.
static_assert(sock_file_flags<A>(A::sock_stream | A::sock_nonblock) == A::o_nonblock);
static_assert(sock_file_flags<arch::parisc>(1 | arch::parisc::sock_nonblock) == arch::parisc::o_nonblock);
// Where the two are equal, nothing is translated.
static_assert(sock_file_flags<arch::generic>(1 | arch::generic::sock_nonblock) == arch::generic::o_nonblock);
}  // namespace alpha_quirk
}  // namespace
