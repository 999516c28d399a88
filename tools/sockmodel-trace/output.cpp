// What sockmodel-trace prints.
#include "output.hpp"

#include <sockmodel/trace/render.hpp>
#include <sockmodel/uapi/errno.hpp>

#include <cstdio>

namespace sockmodel_trace {

namespace sm = sockmodel;

std::string strace_result(int ret)
{
    if (ret >= 0)
        return std::to_string(ret);
    // Built by append (GCC 12 -O3 warns -Wrestrict, falsely, on operator+).
    std::string s = "-1 ";
    const std::string_view name = sm::errno_name(ret);
    if (name.empty()) {
        s.push_back('E');
        s.append(std::to_string(-ret));
    } else {
        s.append(name);
    }
    return s;
}

namespace {

// "fd 3" or "-1 EPROTONOSUPPORT" (as strace and the call line say it) for
// the comparison line.
std::string compare_result(int ret)
{
    if (ret >= 0)
        return "fd " + std::to_string(ret);
    return strace_result(ret);
}

std::string json_result(std::string_view fn, const std::string& text, int ret)
{
    std::string out = "{\"event\":\"result\",\"depth\":0,\"fn\":" + sm::trace::detail::json_string(fn) +
                      ",\"text\":" + sm::trace::detail::json_string(text) + ",\"ret\":" + std::to_string(ret);
    if (ret < 0)
        out += ",\"errno\":" + sm::trace::detail::json_string(sm::errno_name(ret));
    return out + "}\n";
}

}  // namespace

std::string render(const traced_run& run, output_format format)
{
    std::vector<std::string> summary{run.call + " = " + strace_result(run.fd)};
    std::string json_tail = json_result(run.sv ? "socketpair" : "socket", summary.back(), run.fd);
    const int first_fd = run.sv ? (*run.sv)[0] : run.fd;
    if (run.close_ret) {
        summary.push_back("close(" + std::to_string(first_fd) + ") = " + strace_result(*run.close_ret));
        json_tail += json_result("close", summary.back(), *run.close_ret);
    }
    if (run.sv && run.close2_ret) {
        summary.push_back("close(" + std::to_string((*run.sv)[1]) + ") = " + strace_result(*run.close2_ret));
        json_tail += json_result("close", summary.back(), *run.close2_ret);
    }

    std::string out;
    switch (format) {
    case output_format::tree:
        out = sm::trace::render_tree(run.events);
        for (const std::string& line : summary)
            out += line + "\n";
        break;
    case output_format::json:
        out = sm::trace::render_jsonl(run.events) + json_tail;
        break;
    case output_format::dot:
        out = sm::trace::render_dot(run.events, summary);
        break;
    }
    return out;
}

// "0 [3, 4]" or "-1 EOPNOTSUPP" for a socketpair comparison (the fds only
// when the call succeeded: a failed call has none, whatever sv[] holds).
std::string compare_pair(int ret, const std::optional<std::array<int, 2>>& sv)
{
    std::string s = strace_result(ret);
    if (sv && ret == 0)
        s += " [" + std::to_string((*sv)[0]) + ", " + std::to_string((*sv)[1]) + "]";
    return s;
}

void print_comparison(const host_comparison& c, output_format format)
{
    const bool pair = c.host_sv || c.model_sv;
    std::string line = "host: " + (pair ? compare_pair(c.host, c.host_sv) : compare_result(c.host)) + "; model: " +
                       (pair ? compare_pair(c.model, c.model_sv) : compare_result(c.model)) + "; " +
                       (c.agree ? "agree" : "DISAGREE");
    if (!c.fd_compared && c.model >= 0 && c.host >= 0)
        line += " (fd numbers not compared: the host process does not have exactly fds 0,1,2 open)";
    if (format == output_format::json) {
        std::string j = std::string("{\"event\":\"compare\",\"depth\":0,\"fn\":\"") + (pair ? "socketpair" : "socket") + "\",\"text\":" +
                        sm::trace::detail::json_string(line) + ",\"host\":" + std::to_string(c.host) +
                        ",\"model\":" + std::to_string(c.model) + ",\"agree\":" + (c.agree ? "true" : "false") +
                        "}\n";
        std::fputs(j.c_str(), stdout);
    } else if (format == output_format::dot) {
        std::fprintf(stderr, "%s\n", line.c_str());  // stdout stays pure DOT
    } else {
        std::printf("%s\n", line.c_str());
    }
}

}  // namespace sockmodel_trace
