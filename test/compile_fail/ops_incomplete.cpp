// An ops table with an empty slot: the kernel would jump through NULL.
// expect-error: proto_ops table incomplete: every op needs a function or a sock_no_* stub
#include <sockmodel/net/protocol.hpp>
int rel(void*, sockmodel::socket&) { return 0; }
constexpr sockmodel::proto_ops half_done{
    2, nullptr, "half_done", &rel, {"b"}, {"c"}, sockmodel::sock_no_socketpair, sockmodel::sock_no_accept,
    {"g"}, {"p"}, {"i"}, sockmodel::sock_no_listen, {"s"}, {"so"}, {"go"}, {"sm"}, {"rm"}, {}};
static_assert(sockmodel::checked_ops<&half_done>::value);
