// --compare-host.
#include "host_compare.hpp"

#include <host/child.hpp>

#include <sockmodel/uapi/errno.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace sockmodel_trace {

namespace {

struct host_outcome {
    int ret = 0;              // socket()'s fd, or -errno
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
            const int fd = ::socket(q.call.family, q.call.type, q.call.protocol);
            const int ret = fd >= 0 ? fd : -errno;
            if (fd >= 0 && q.do_close)
                ::close(fd);
            c.out.put<std::int32_t>(ret);
            c.out.put<std::int32_t>(exact_stdio ? 1 : 0);
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
    return r;
}

}  // namespace

host_comparison compare_with_host(const host_request& q, int model_ret)
{
    const host_outcome h = call_host(q);
    host_comparison c;
    c.host = h.ret;
    c.model = model_ret;
    c.fd_compared = h.exact_stdio;
    const bool same_outcome = (h.ret >= 0) == (model_ret >= 0) && (model_ret >= 0 || h.ret == model_ret);
    c.agree = same_outcome && (!c.fd_compared || model_ret < 0 || h.ret == model_ret);
    return c;
}

}  // namespace sockmodel_trace
