// --what-if SPEC: parsing, the view and kernel a SPEC gives, the reason line.
#include "whatif.hpp"

#include "abi.hpp"

#include <sockmodel/trace/decode.hpp>

#include <algorithm>
#include <cctype>
#include <climits>
#include <fstream>
#include <iterator>
#include <sstream>

namespace sockmodel_trace {

namespace sm = sockmodel;

namespace {

// include/uapi/linux/capability.h, by number (CAP_LAST_CAP 40).
constexpr const char* cap_names_by_bit[] = {
    "chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid", "setuid", "setpcap",
    "linux_immutable", "net_bind_service", "net_broadcast", "net_admin", "net_raw", "ipc_lock", "ipc_owner",
    "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct", "sys_admin", "sys_boot", "sys_nice",
    "sys_resource", "sys_time", "sys_tty_config", "mknod", "lease", "audit_write", "audit_control", "setfcap",
    "mac_override", "mac_admin", "syslog", "wake_alarm", "block_suspend", "audit_read", "perfmon", "bpf",
    "checkpoint_restore"};

unsigned cap_bit(std::string_view name, const std::string& term)
{
    std::string l = lower(name);
    if (l.starts_with("cap_"))
        l = l.substr(4);
    for (unsigned i = 0; i < std::size(cap_names_by_bit); ++i)
        if (l == cap_names_by_bit[i])
            return i;
    bad("unknown capability " + quoted(name) + " in " + term);
}

std::vector<std::string> split(std::string_view s, char sep)
{
    std::vector<std::string> out;
    std::size_t pos = 0;
    for (;;) {
        const std::size_t at = s.find(sep, pos);
        out.emplace_back(s.substr(pos, at == std::string_view::npos ? at : at - pos));
        if (at == std::string_view::npos)
            return out;
        pos = at + 1;
    }
}

constexpr const char* term_list =
    "(as=, caps=, userns, netns, ping_group_range=, nofile=, file-max=, abi=, families=, no-FAMILY, rules=)";

bool bare_term(std::string_view w) { return w == "userns" || w == "netns" || w.starts_with("no-"); }

// One rule line: deny [uid=N] [family=F] [type=T] [protocol=P] [errno=E].
deny_rule parse_rule(const std::string& line, const std::string& where)
{
    std::istringstream in(line);
    std::string word;
    in >> word;
    if (word != "deny")
        bad(where + ": a rule starts with 'deny' (deny [uid=N] [family=F] [type=T] [protocol=P] [errno=EACCES|EPERM])");
    deny_rule r;
    r.text = line;
    static constexpr sm::trace::name_value no_flags[] = {{"", 0}};
    const type_names names{"host", sm::trace::sock_type_names<sm::arch::host>, sm::trace::sock_flag_names<sm::arch::host>,
                           std::span<const sm::trace::name_value>(no_flags, 0)};
    while (in >> word) {
        const std::size_t eq = word.find('=');
        if (eq == std::string::npos)
            bad(where + ": " + quoted(word) + " is not KEY=VALUE");
        const std::string key = word.substr(0, eq), value = word.substr(eq + 1);
        const bool any = value == "*";
        try {
            if (key == "uid")
                r.uid = any ? std::nullopt : std::optional<sm::kuid_t>(parse_id(value, "uid"));
            else if (key == "family")
                r.family = any ? std::nullopt : std::optional<int>(parse_family(value));
            else if (key == "type")
                r.type = any ? std::nullopt : std::optional<int>(parse_type(value, names) & 0xf);
            else if (key == "protocol")
                r.protocol = any ? std::nullopt : std::optional<int>(parse_protocol(value));
            else if (key == "errno")
                r.err = value == "EPERM" ? -EPERM : value == "EACCES" ? -EACCES : (bad("errno EACCES or EPERM"), 0);
            else
                bad("unknown key " + quoted(key) + " (uid, family, type, protocol, errno)");
        } catch (const usage_error& e) {
            bad(where + ": " + e.what());
        }
    }
    return r;
}

void apply_term(whatif_spec& s, const std::string& term)
{
    const std::string where = "term " + quoted(term);
    const std::size_t eq = term.find('=');
    const std::string key = term.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : term.substr(eq + 1);
    if (eq == std::string::npos) {
        if (term == "userns")
            s.userns = true;
        else if (term == "netns")
            s.netns = true;
        else if (term.starts_with("no-")) {
            std::string f = term.substr(3);
            if (f == "ipv6")
                f = "inet6";
            else if (f == "ipv4")
                f = "inet";
            s.no_families.push_back(parse_family(f));
        } else
            bad("unknown " + where + " " + term_list);
        return;
    }
    if (value.empty())
        bad(where + " has no value");
    if (key == "as") {
        if (value == "nobody") {
            s.as = whatif_spec::ids{65534, 65534, {}};
            return;
        }
        const std::vector<std::string> parts = split(value, ',');
        const std::size_t colon = parts[0].find(':');
        if (colon == std::string::npos)
            bad(where + ": as=nobody or as=UID:GID[,GROUP...]");
        whatif_spec::ids ids{parse_id(parts[0].substr(0, colon), "uid"), parse_id(parts[0].substr(colon + 1), "gid"), {}};
        for (std::size_t i = 1; i < parts.size(); ++i)
            ids.groups.push_back(parse_id(parts[i], "group"));
        s.as = ids;
    } else if (key == "caps") {
        const std::string l = lower(value);
        if (l == "none") {
            s.caps_set = sm::kernel_cap_t::empty();
        } else if (l == "all") {
            s.caps_set = sm::kernel_cap_t::full();
        } else {
            sm::kernel_cap_t set;
            bool listed = false;
            for (const std::string& c : split(value, ',')) {
                if (c.empty())
                    bad(where + ": an empty capability");
                const char sign = c[0];
                const unsigned bit = cap_bit(sign == '-' || sign == '+' ? c.substr(1) : c, where);
                const std::uint64_t m = std::uint64_t{1} << bit;
                if (sign == '-')
                    s.caps_drop.val |= m;
                else if (sign == '+')
                    s.caps_add.val |= m;
                else {
                    set.val |= m;
                    listed = true;
                }
            }
            if (listed && (s.caps_drop.val || s.caps_add.val))
                bad(where + ": either a list (caps=net_raw,net_admin) or changes (caps=-net_raw,+net_admin)");
            if (listed)
                s.caps_set = set;
        }
    } else if (key == "ping_group_range" || key == "ping") {
        s.ping = parse_ping_range(value, "ping_group_range");
    } else if (key == "nofile") {
        const std::size_t colon = value.find(':');
        const unsigned long soft = parse_unsigned(value.substr(0, colon), "nofile", sm::sysctl_nr_open_default);
        const unsigned long hard = colon == std::string::npos
                                       ? soft
                                       : parse_unsigned(value.substr(colon + 1), "nofile", sm::sysctl_nr_open_default);
        if (hard < soft)
            bad(where + ": the soft limit is above the hard one");
        s.nofile = {soft, hard};
    } else if (key == "file-max" || key == "file_max") {
        // fs.file-max: 0 to LONG_MAX (the file-max entry of fs/file_table.c's sysctl table).
        s.file_max = static_cast<long>(parse_unsigned(value, "file-max", LONG_MAX));
    } else if (key == "abi") {
        if (!is_abi_name(value))
            bad(where + ": unknown ABI " + quoted(value) + " (" + abi_choices() + ")");
        s.abi = is_host_abi(value) ? std::string(sm::arch::host::name) : value;
    } else if (key == "families") {
        std::vector<int> fams;
        for (std::string f : split(value, ',')) {
            if (lower(f) == "ipv6")
                f = "inet6";
            else if (lower(f) == "ipv4")
                f = "inet";
            fams.push_back(parse_family(f));
        }
        s.families = fams;
    } else if (key == "rules") {
        std::ifstream in(value);
        if (!in)
            bad(where + ": cannot read " + quoted(value));
        int n = 0;
        for (std::string line; std::getline(in, line);) {
            ++n;
            if (const std::size_t hash = line.find('#'); hash != std::string::npos)
                line.resize(hash);
            if (line.find_first_not_of(" \t") == std::string::npos)
                continue;
            s.rules.push_back(parse_rule(line, value + ":" + std::to_string(n)));
        }
    } else {
        bad("unknown " + where + " " + term_list);
    }
}

}  // namespace

std::string cap_name(unsigned bit)
{
    std::string n = bit < std::size(cap_names_by_bit) ? cap_names_by_bit[bit] : std::to_string(bit);
    for (char& c : n)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return "CAP_" + n;
}

whatif_spec parse_whatif(const std::string& text)
{
    whatif_spec s;
    s.text = text;
    if (text.empty())
        bad("--what-if: empty SPEC");
    // Terms: split at '+', then at ',' where what follows is a term.
    std::vector<std::string> terms;
    for (const std::string& chunk : split(text, '+')) {
        bool first = true;
        for (const std::string& w : split(chunk, ',')) {
            if (w.empty())
                bad("--what-if " + quoted(text) + ": an empty term");
            if (first || w.find('=') != std::string::npos || bare_term(w))
                terms.push_back(w);
            else if (terms.back().find('=') == std::string::npos)
                bad("--what-if " + quoted(text) + ": term " + quoted(terms.back()) + " takes no value (" +
                    quoted(w) + ")");
            else
                terms.back() += "," + w;
            first = false;
        }
    }
    for (const std::string& t : terms) {
        try {
            apply_term(s, t);
        } catch (const usage_error& e) {
            const std::string msg = e.what();
            bad("--what-if " + quoted(text) + ": " +
                (msg.find("term " + quoted(t)) == std::string::npos ? "term " + quoted(t) + ": " : "") + msg);
        }
    }
    return s;
}

call_view apply_whatif(const whatif_spec& s, std::size_t index, const call_view& v)
{
    call_view w = v;
    if (s.as) {
        const bool was_root = v.cred.euid == 0;
        w.cred.uid = w.cred.euid = w.cred.suid = w.cred.fsuid = s.as->uid;
        w.cred.gid = w.cred.egid = w.cred.sgid = w.cred.fsgid = s.as->gid;
        w.cred.group_info.assign(s.as->groups.begin(), s.as->groups.end());
        // After execve: a uid other than 0 has no capability (no file or
        // ambient capabilities assumed); uid 0 has every one, or keeps the
        // task's own when it is root already (its bounding set may be less).
        if (s.as->uid != 0)
            w.cred.cap_effective = sm::kernel_cap_t::empty();
        else if (!was_root)
            w.cred.cap_effective = sm::kernel_cap_t::full();
    }
    if (s.caps_set)
        w.cred.cap_effective = *s.caps_set;
    w.cred.cap_effective.val = (w.cred.cap_effective.val & ~s.caps_drop.val) | s.caps_add.val;
    // Model inodes of the namespaces SPEC makes: above any real one (32 bits).
    const unsigned long long tag = (0xA5ULL << 48) | (static_cast<unsigned long long>(index) << 36);
    if (s.userns) {
        // unshare(CLONE_NEWUSER) as `unshare -U`/-Ur: every capability in the
        // new namespace, owned by the task's euid.
        const unsigned long long parent = w.ns.task_user_chain.empty() ? 0 : w.ns.task_user_chain.back().ino;
        w.ns.task_user_chain.push_back(ns_link{tag | 1ULL << 32 | (parent & 0xffffffffULL), w.cred.euid, w.cred.egid});
        w.cred.cap_effective = sm::kernel_cap_t::full();
    }
    if (s.netns) {
        // unshare(CLONE_NEWNET): owned by the task's user namespace (the new
        // one with userns), with every sysctl at its default.
        w.ns.net_owner = ns_view::owner::chain;
        w.ns.net_owner_chain = w.ns.task_user_chain;
        w.ns.net_ino = tag | 2ULL << 32 | (v.ns.net_ino & 0xffffffffULL);
        w.sysctl = sm::net_sysctl{};
    }
    if (s.ping)
        w.sysctl.ping_group_range = {s.ping->first, s.ping->second};
    if (s.nofile) {
        w.nofile_cur = s.nofile->first;
        w.nofile_max = s.nofile->second;
    }
    if (s.file_max)
        w.max_files = *s.file_max;
    return w;
}

model_tweak whatif_tweak(const whatif_spec& s)
{
    model_tweak t;
    t.unregister = s.no_families;
    if (s.families)
        for (int f = 0; f < 64; ++f)
            if (std::find(s.families->begin(), s.families->end(), f) == s.families->end())
                t.unregister.push_back(f);
    t.rules = s.rules;
    return t;
}

std::string failing_check(const std::vector<sm::trace::event>& events)
{
    using sm::trace::kind;
    for (std::size_t i = 0; i < events.size(); ++i) {
        const sm::trace::event& e = events[i];
        if (e.what != kind::exit || !e.has_ret || (e.is_pointer ? e.ret != 0 : e.ret >= 0))
            continue;
        // The function's own notes (depth one below its enter), the last one
        // that is not unwinding ("goto ...", "out_...").
        std::string note;
        for (std::size_t j = i; j-- > 0;) {
            const sm::trace::event& n = events[j];
            if (n.depth < e.depth || (n.depth == e.depth && n.what == kind::enter))
                break;
            if (n.what == kind::note && n.depth == e.depth + 1 && n.fn == e.fn && !n.text.starts_with("goto ") &&
                !n.text.starts_with("out_")) {
                note = n.text;
                break;
            }
        }
        std::string out(e.fn);
        out += ": ";
        out += note.empty() ? (e.is_pointer ? std::string("NULL") : strace_result(static_cast<int>(e.ret))) : note;
        return out;
    }
    return "";
}

}  // namespace sockmodel_trace
