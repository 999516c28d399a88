// can-trace: the kernel's path for AF_CAN, as sockmodel-trace shows it for the
// library's families. A kernel configured with the default families plus
// can_family and the trace::recorder policy runs
//     socket(AF_CAN, SOCK_RAW, CAN_RAW)       success
//     socket(AF_CAN, SOCK_DGRAM, CAN_RAW)     EPROTOTYPE: the type check
//     socket(AF_CAN, SOCK_RAW, 9)             EINVAL: the protocol range check
//     close() of the first
// and prints each call tree with trace::render_tree, then strace-style lines.
// The test (examples/can/check_trace.cmake) checks the functions come in the
// kernel's order.
#include "af_can.hpp"
#include "check.hpp"

#include <sockmodel/default_families.hpp>
#include <sockmodel/kernel.hpp>
#include <sockmodel/trace/decode.hpp>
#include <sockmodel/trace/render.hpp>
#include <sockmodel/trace/trace.hpp>

#include <sys/socket.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace sm = sockmodel;
using can_example::af_can;
using can_example::can_family;
using can_example::can_raw;

using traced_config =
    sm::config<sm::opt::tracer<sm::trace::recorder>, sm::opt::faults<sm::fault::inject>,
               sm::opt::families<sm::netlink_family, sm::inet_family, sm::unix_family, sm::xsk_family,
                                 sm::inet6_family, sm::packet_family, sm::vsock_family, can_family>>;
using K = sm::kernel<traced_config>;

namespace {

std::string result(int r)
{
    if (r >= 0)
        return std::to_string(r);
    return "-1 " + std::string(sm::errno_name(-r));
}

std::string call_text(int type, int protocol)
{
    const std::string_view name = can_example::can_protocol_name(protocol);
    return "socket(AF_CAN, " + sm::trace::decode_type<K::abi>(type) + ", " +
           (name.empty() ? std::to_string(protocol) : std::string(name)) + ")";
}

}  // namespace

int main()
{
    can_example::checker check;
    const auto k = std::make_unique<K>();
    auto& t = k->spawn(sm::cred::root());
    std::vector<std::string> summary;

    auto traced_socket = [&](int type, int protocol) {
        k->tracer.clear();
        const int fd = k->socket(t, af_can, type, protocol);
        std::fputs(sm::trace::render_tree(k->tracer.events).c_str(), stdout);
        summary.push_back(call_text(type, protocol) + " = " + result(fd));
        return fd;
    };

    const int fd = traced_socket(SOCK_RAW, can_raw);
    check.equal(fd, 0, "socket(AF_CAN, SOCK_RAW, CAN_RAW)");
    check.equal(traced_socket(SOCK_DGRAM, can_raw), -EPROTOTYPE, "socket(AF_CAN, SOCK_DGRAM, CAN_RAW)");
    check.equal(traced_socket(SOCK_RAW, 9), -EINVAL, "socket(AF_CAN, SOCK_RAW, 9)");

    k->tracer.clear();
    const int closed = k->close(t, fd);
    std::fputs(sm::trace::render_tree(k->tracer.events).c_str(), stdout);
    summary.push_back("close(" + std::to_string(fd) + ") = " + result(closed));
    check.equal(closed, 0, "close");

    // The family's own fault point, in the kernel's table after the path's
    // (what sockmodel-trace --inject list prints, for this configuration).
    std::printf("fault points:\n%s", sm::fault::describe_points(K::faults_type::points()).c_str());
    check(K::faults_type::find("can_raw_init_uniq") == &can_example::raw_init_uniq, "can_raw_init_uniq is listed");
    const sm::kernel_counters before = k->counters();
    k->faults.fail_nth(can_example::raw_init_uniq, 1);
    check.equal(traced_socket(SOCK_RAW, can_raw), -ENOMEM, "socket(AF_CAN, SOCK_RAW, CAN_RAW) with raw_init failing");
    check(k->faults.injected(can_example::raw_init_uniq) == 1, "the fault fired once");
    check(k->counters() == before, "the failed raw_init unwound everything");

    for (const std::string& line : summary)
        std::printf("%s\n", line.c_str());
    k->exit_all();
    check(k->counters() == sm::kernel_counters{}, "every counter back to zero");
    return check.finish();
}
