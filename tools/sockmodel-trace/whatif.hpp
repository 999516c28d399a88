// --what-if SPEC and --needs: the environment a SPEC describes, applied to
// the view of a traced task (call_view) and to the model kernel of its table
// (model_tweak); the one-line reason of a failing model call; the privileges
// of --needs.
//
// SPEC grammar (docs/what-if.md):
//   SPEC  := TERM { ('+' | ',') TERM }
//   TERM  := 'as=nobody' | 'as=' UID ':' GID { ',' GROUP }
//          | 'caps=' ('none' | 'all' | CAP { ',' CAP } | ('-'|'+') CAP { ',' ('-'|'+') CAP })
//          | 'userns' | 'netns'
//          | 'ping_group_range=' LOW '-' HIGH
//          | 'nofile=' SOFT [ ':' HARD ]
//          | 'file-max=' N
//          | 'abi=' ARCH
//          | 'families=' FAMILY { ',' FAMILY } | 'no-' FAMILY
//          | 'rules=' FILE
// A ',' continues the value of the term before it (a group, a capability, a
// family) unless what follows is a term of its own (has '=' or is a bare
// term), so `as=1000:1000,27,caps=none` is two terms. Terms apply in this
// order whatever their order in SPEC: as, caps, userns, netns,
// ping_group_range, nofile, file-max; families and rules change the model
// kernel; abi asks a model kernel of that ABI, with the call translated
// (whatif_abi.hpp).
#pragma once

#include "args.hpp"
#include "model_run.hpp"

#include <sockmodel/kernel/cred.hpp>
#include <sockmodel/trace/trace.hpp>

#include <optional>
#include <string>
#include <vector>

namespace sockmodel_trace {

struct whatif_spec {
    std::string text;  // as given
    struct ids {
        sockmodel::kuid_t uid;
        sockmodel::kgid_t gid;
        std::vector<sockmodel::kgid_t> groups;
    };
    std::optional<ids> as;
    std::optional<sockmodel::kernel_cap_t> caps_set;  // caps=none|all|LIST
    sockmodel::kernel_cap_t caps_drop, caps_add;       // caps=-x,+y
    bool userns = false, netns = false;
    std::optional<std::pair<sockmodel::kgid_t, sockmodel::kgid_t>> ping;
    std::optional<std::pair<unsigned long, unsigned long>> nofile;
    std::optional<long> file_max;              // file-max=N: fs.file-max
    std::string abi;                           // abi=ARCH (abi.hpp's name; empty: this machine's)
    std::optional<std::vector<int>> families;  // families=...: only these registered
    std::vector<int> no_families;              // no-FAMILY
    std::vector<deny_rule> rules;              // rules=FILE
};

// Throws usage_error naming the term.
whatif_spec parse_whatif(const std::string& text);

// The task's view in the SPEC's environment; `index` (the SPEC's place on
// the command line) tells apart the model namespaces each SPEC makes.
call_view apply_whatif(const whatif_spec& s, std::size_t index, const call_view& v);

// The model kernel as SPEC has it (families taken out, rules).
model_tweak whatif_tweak(const whatif_spec& s);

// "inet_create: SOCK_RAW without CAP_NET_RAW": the first function of the
// model's trace to fail, and the last decision it noted; empty if none failed.
std::string failing_check(const std::vector<sockmodel::trace::event>& events);

// Capability number 13 → "CAP_NET_RAW"
std::string cap_name(unsigned bit);

}  // namespace sockmodel_trace
