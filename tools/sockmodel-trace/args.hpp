// sockmodel-trace's command line: options, and the FAMILY TYPE PROTOCOL
// arguments parsed for an ABI. Bad input throws usage_error.
#pragma once

#include <sockmodel/config.hpp>
#include <sockmodel/fault/fault.hpp>
#include <sockmodel/kernel/cred.hpp>
#include <sockmodel/linux/socket.hpp>
#include <sockmodel/trace/decode.hpp>

#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sockmodel_trace {

// Bad input: one line on stderr, exit status 2.
struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

[[noreturn]] void bad(const std::string& msg);

std::string quoted(std::string_view s);  // 'S'
std::string lower(std::string_view s);

enum class output_format { tree, json, dot };

struct options {
    std::string abi = "host";
    std::string as = "root";  // root, user or userns
    std::optional<sockmodel::kuid_t> uid;
    std::optional<sockmodel::kgid_t> gid;
    std::optional<std::vector<sockmodel::kgid_t>> groups;
    std::optional<sockmodel::kernel_cap_t> caps;
    std::optional<bool> close;
    bool compare_host = false;
    bool socketpair = false;  // --socketpair: socketpair() instead of socket()
    output_format format = output_format::tree;
    bool json_lines = false;  // --format jsonl: one JSON object a line (json: one document)
    sockmodel::kgid_t ping_low = 1, ping_high = 0;
    std::optional<unsigned long> rlimit_nofile;
    unsigned fill_fds = 0;
    const sockmodel::fault_point_info* inject = nullptr;  // --inject POINT[:N]: the N-th call at POINT fails
    unsigned long inject_nth = 1;
    std::vector<std::string> positional;
    // `-- PROGRAM [ARGS...]`: trace a real program (ptrace_run.hpp).
    std::vector<std::string> program;
    bool program_mode = false;  // "--" was given
    bool quiet = false;         // --quiet: no call trees
    bool strict = false;        // --strict: exit 1 if a call disagreed
    std::optional<std::string> output_file;  // -o FILE
    // --what-if SPEC (whatif.hpp): each call answered again as in SPEC's environment.
    std::vector<std::string> what_if;
    bool why = false;    // --why: the model's tree of each differing what-if answer
    bool needs = false;  // --needs: what the successful calls relied on

    bool do_close() const { return close.value_or(positional.empty()); }
    // --as userns: the credentials below, then unshare(CLONE_NEWUSER).
    bool new_user_ns() const { return as == "userns"; }
    // The credentials the call is made with (before any unshare).
    sockmodel::cred credentials() const;
};

// Prints the help and exits 0 for -h/--help.
options parse_options(int argc, char** argv);

struct socket_args {
    int family, type, protocol;
};

// The names a TYPE may be made of for one ABI.
struct type_names {
    std::string_view abi;
    std::span<const sockmodel::trace::name_value> types, flags, open_flags;
};

int parse_family(std::string_view s);

// The value parsers of the single-call options, shared with --what-if
// (whatif.cpp); each names `what` in its error.
unsigned long parse_unsigned(std::string_view s, std::string_view what, unsigned long max);
sockmodel::kgid_t parse_id(std::string_view s, std::string_view what);
sockmodel::capability parse_cap_name(std::string_view s);
sockmodel::kernel_cap_t parse_caps(std::string_view s);     // none, all or LIST
std::vector<sockmodel::kgid_t> parse_groups(std::string_view s);
// LOW-HIGH (or "LOW HIGH", "LOW,HIGH"); reversed: the empty range 1 0.
std::pair<sockmodel::kgid_t, sockmodel::kgid_t> parse_ping_range(std::string_view v, std::string_view what);
int parse_type(std::string_view s, const type_names& names);
int parse_protocol(std::string_view s);

template <class A>
socket_args parse_socket_args(const options& o)
{
    if (o.positional.empty())
        return {sockmodel::af_inet, A::sock_stream, 0};
    // O_CLOEXEC and O_NONBLOCK are accepted too: on alpha the latter shows its quirk.
    static constexpr sockmodel::trace::name_value open_flags[] = {{"O_CLOEXEC", A::o_cloexec},
                                                                  {"O_NONBLOCK", A::o_nonblock}};
    const type_names names{A::name, sockmodel::trace::sock_type_names<A>, sockmodel::trace::sock_flag_names<A>,
                           open_flags};
    // Braced initialisation runs left to right: the family is checked first.
    return {parse_family(o.positional[0]), parse_type(o.positional[1], names), parse_protocol(o.positional[2])};
}

}  // namespace sockmodel_trace
