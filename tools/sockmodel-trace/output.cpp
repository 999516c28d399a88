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
    std::string s = "-1 ";
    const std::string_view name = sm::errno_name(ret);
    s += name.empty() ? "E" + std::to_string(-ret) : std::string(name);
    return s;
}

namespace {

// "fd 3" or "-93 EPROTONOSUPPORT" for the comparison line.
std::string compare_result(int ret)
{
    if (ret >= 0)
        return "fd " + std::to_string(ret);
    return std::to_string(ret) + " " + std::string(sm::errno_name(ret));
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
    std::string json_tail = json_result("socket", summary.back(), run.fd);
    if (run.close_ret) {
        summary.push_back("close(" + std::to_string(run.fd) + ") = " + strace_result(*run.close_ret));
        json_tail += json_result("close", summary.back(), *run.close_ret);
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

void print_comparison(const host_comparison& c, output_format format)
{
    std::string line = "host: " + compare_result(c.host) + "; model: " + compare_result(c.model) + "; " +
                       (c.agree ? "agree" : "DISAGREE");
    if (!c.fd_compared && c.model >= 0 && c.host >= 0)
        line += " (fd numbers not compared: the host process does not have exactly fds 0,1,2 open)";
    if (format == output_format::json) {
        std::string j = "{\"event\":\"compare\",\"depth\":0,\"fn\":\"socket\",\"text\":" +
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
