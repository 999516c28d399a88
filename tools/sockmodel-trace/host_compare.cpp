// --compare-host.
#include "host_compare.hpp"

#include <host/child.hpp>

#include <sockmodel/uapi/errno.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace sockmodel_trace {

namespace {

struct host_outcome {
    int ret = 0;              // socket()'s fd (socketpair()'s 0), or -errno
    std::array<int, 2> sv{-1, -1};  // socketpair(): the array after the call
    bool exact_stdio = false;  // the child had exactly fds 0, 1, 2 when it called socket()
};

host_outcome call_host(const host_request& q)
{
    namespace host = sockmodel_host;
    std::vector<unsigned char> bytes;
    try {
        bytes = host::run_in_child([&](host::child_context& c) {
            const bool exact_stdio = host::shape_like_model_task(
                c, {.fill_fds = q.fill_fds, .rlimit_nofile = q.rlimit_nofile, .ping_low = q.ping_low,
                    .ping_high = q.ping_high});
            host::apply_credentials(q.cred);
            if (q.new_user_ns)
                host::enter_user_namespace();
            int ret = 0;
            std::array<int, 2> sv{-1, -1};
            if (q.socketpair) {
                ret = host::host_socketpair(q.call.family, q.call.type, q.call.protocol, sv.data());
                if (ret == 0 && q.do_close) {
                    ::close(sv[0]);
                    ::close(sv[1]);
                }
            } else {
                const int fd = ::socket(q.call.family, q.call.type, q.call.protocol);
                ret = fd >= 0 ? fd : -errno;
                if (fd >= 0 && q.do_close)
                    ::close(fd);
            }
            c.out.put<std::int32_t>(ret);
            c.out.put<std::int32_t>(exact_stdio ? 1 : 0);
            c.out.put<std::int32_t>(sv[0]);
            c.out.put<std::int32_t>(sv[1]);
        });
    } catch (const host::child_failure& e) {
        if (e.status == 1 && e.err != 0)
            throw host_refusal("--compare-host: " + e.step + " failed: " +
                               std::string(sockmodel::errno_name(e.err)) + " (" + std::strerror(e.err) + ")");
        throw host_refusal(std::string("--compare-host: ") + e.what());
    } catch (const host::harness_error& e) {
        throw host_refusal(std::string("--compare-host: ") + e.what());
    }
    host::byte_source in(bytes);
    host_outcome r;
    r.ret = in.get<std::int32_t>();
    r.exact_stdio = in.get<std::int32_t>() != 0;
    r.sv[0] = in.get<std::int32_t>();
    r.sv[1] = in.get<std::int32_t>();
    return r;
}

}  // namespace

host_comparison compare_with_host(const host_request& q, int model_ret,
                                  const std::optional<std::array<int, 2>>& model_sv)
{
    const host_outcome h = call_host(q);
    host_comparison c;
    c.host = h.ret;
    c.model = model_ret;
    c.fd_compared = h.exact_stdio;
    if (q.socketpair) {
        // The return, and the array the kernel wrote (also on failure) when
        // fd numbers are comparable.
        c.host_sv = h.sv;
        c.model_sv = model_sv;
        c.agree = h.ret == model_ret && (!c.fd_compared || (model_sv && h.sv == *model_sv));
        return c;
    }
    const bool same_outcome = (h.ret >= 0) == (model_ret >= 0) && (model_ret >= 0 || h.ret == model_ret);
    c.agree = same_outcome && (!c.fd_compared || model_ret < 0 || h.ret == model_ret);
    return c;
}

}  // namespace sockmodel_trace
