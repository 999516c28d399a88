// The model side of sockmodel-trace: a traced kernel, a task set up like a
// program started from a shell, and the socket() (and close()) under trace.
//
// With `-- PROGRAM`, table_model keeps one model kernel per traced
// descriptor table and makes each socket() or socketpair() call of the
// traced tasks using it (their view is read by ptrace_run.cpp).
//
// The only file of the tool that touches the kernel object (k->socket,
// k->spawn, k->close, k->setrlimit, k->unshare, k->fcntl, k->getsockopt,
// k->tracer, k->init_net.sysctl, and k.socketpair once merged): when that
// API changes, this is the file to adapt.
#pragma once

#include "args.hpp"
#include "families.hpp"
#include "output.hpp"

#include <sockmodel/config.hpp>
#include <sockmodel/kernel.hpp>
#include <sockmodel/security/hooks.hpp>
#include <sockmodel/trace/trace.hpp>

#include <algorithm>
#include <array>
#include <iterator>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace sockmodel_trace {

template <class A>
using traced_config = sockmodel::config<sockmodel::opt::abi<A>, families::option,
                                        sockmodel::opt::tracer<sockmodel::trace::recorder>,
                                        sockmodel::opt::faults<sockmodel::fault::inject>,
                                        sockmodel::opt::runtime_lsm<true>>;

struct model_run {
    traced_run run;                   // call is left for the caller to fill
    unsigned long rlimit_nofile = 0;  // RLIMIT_NOFILE the call ran under
};

template <class A>
model_run run_model(const options& o, const socket_args& call)
{
    namespace sm = sockmodel;
    using K = sm::kernel<traced_config<A>>;

    const auto k = std::make_unique<K>();
    k->init_net.sysctl.ping_group_range.low = o.ping_low;
    k->init_net.sysctl.ping_group_range.high = o.ping_high;
    // Setup as root, as the host child does it before it drops to the
    // credentials asked for; untraced in effect (the recorder is cleared
    // afterwards): fds 0, 1, 2 as a shell leaves them, then --fill-fds more,
    // under a limit that lets them all open; then the limit the run asked for.
    sm::task_struct& t = k->spawn(sm::cred::root());
    sm::resource_limit lim{};
    k->getrlimit(t, A::rlimit_nofile, &lim);
    const unsigned long final_cur = o.rlimit_nofile.value_or(lim.rlim_cur);
    const unsigned long setup_cur = std::max<unsigned long>(lim.rlim_cur, 3UL + o.fill_fds);
    const sm::resource_limit setup{setup_cur, std::max(lim.rlim_max, setup_cur)};
    if (int err = k->setrlimit(t, A::rlimit_nofile, &setup))
        bad("setup: model setrlimit(RLIMIT_NOFILE) returned " + strace_result(err));
    for (unsigned i = 0; i < 3 + o.fill_fds; ++i) {
        const int fd = k->socket(t, sm::af_unix, A::sock_stream, 0);
        if (fd != static_cast<int>(i))
            bad("setup: model socket(AF_UNIX, SOCK_STREAM, 0) for fd " + std::to_string(i) + " returned " +
                strace_result(fd));
    }
    const sm::resource_limit run{final_cur, std::max(setup.rlim_max, final_cur)};
    if (int err = k->setrlimit(t, A::rlimit_nofile, &run))
        bad("setup: model setrlimit(RLIMIT_NOFILE) returned " + strace_result(err));
    t.cred = o.credentials();
    // --as userns: unshare(CLONE_NEWUSER) after the drop, as the host child
    // does; the task keeps init_net, owned by the initial user namespace.
    if (o.new_user_ns())
        if (int err = k->unshare(t, sm::clone_flag::newuser))
            bad("setup: model unshare(CLONE_NEWUSER) returned " + strace_result(err));
    k->tracer.clear();
    if (o.inject)
        k->faults.fail_nth(*o.inject, o.inject_nth);

    model_run m;
    m.rlimit_nofile = final_cur;
    if (o.socketpair) {
        std::array<int, 2> sv{-1, -1};  // what the array held before the call, as the host child's
        m.run.fd = k->socketpair(t, call.family, call.type, call.protocol, sv.data());
        m.run.sv = sv;
        m.run.events = std::move(k->tracer.events);
        if (m.run.fd == 0 && o.do_close()) {
            for (int i = 0; i < 2; ++i) {
                k->tracer.clear();
                (i == 0 ? m.run.close_ret : m.run.close2_ret) = k->close(t, sv[static_cast<std::size_t>(i)]);
                m.run.events.insert(m.run.events.end(), std::make_move_iterator(k->tracer.events.begin()),
                                    std::make_move_iterator(k->tracer.events.end()));
            }
        }
        return m;
    }
    m.run.fd = k->socket(t, call.family, call.type, call.protocol);
    m.run.events = std::move(k->tracer.events);
    if (m.run.fd >= 0 && o.do_close()) {
        k->tracer.clear();
        m.run.close_ret = k->close(t, m.run.fd);
        m.run.events.insert(m.run.events.end(), std::make_move_iterator(k->tracer.events.begin()),
                            std::make_move_iterator(k->tracer.events.end()));
    }
    return m;
}

// ---------------------------------------------------------------------------
// -- PROGRAM: the model's view of a traced task at a socket()/socketpair() entry

// What one new fd looks like, as fcntl/getsockopt would report it.
struct fd_attrs {
    int fd = -1;
    int fd_flags = 0;   // F_GETFD
    int fl_flags = 0;   // F_GETFL
    int so_type = 0, so_protocol = 0, so_domain = 0;
    friend bool operator==(const fd_attrs&, const fd_attrs&) = default;
};

// --what-if abi=ARCH: the call and its answer in ARCH's numbers (the
// task_call_result around it has them translated back to the host's).
struct abi_numbers {
    std::string name;                   // "mips"
    int family = 0, type = 0, protocol = 0;
    int ret = 0;                        // as the model returned it (-errno: the host's errno values)
    std::vector<fd_attrs> fds;          // F_GETFL and SO_TYPE in ARCH's numbers
};

struct task_call_result {
    int ret = 0;                        // fd (socket), 0 (socketpair) or -errno
    std::vector<fd_attrs> fds;          // the new fds
    std::vector<sockmodel::trace::event> events;
    std::optional<std::string> not_modelled;  // why the model could not make the call
    std::optional<abi_numbers> abi;     // asked of a model of another ABI
};

namespace detail {

// F_GETFD/F_GETFL/SO_TYPE/SO_PROTOCOL/SO_DOMAIN of a model fd, asked of the
// model kernel as the tracer asks the real one (k.fcntl, k.getsockopt).
template <class K>
fd_attrs model_fd_attrs(K& k, sockmodel::task_struct& t, int fd)
{
    using A = typename K::abi;
    fd_attrs a;
    a.fd = fd;
    a.fd_flags = k.fcntl(t, fd, sockmodel::f_getfd);
    a.fl_flags = k.fcntl(t, fd, sockmodel::f_getfl);
    k.getsockopt(t, fd, A::sol_socket, A::so_type, &a.so_type);
    k.getsockopt(t, fd, A::sol_socket, A::so_protocol, &a.so_protocol);
    k.getsockopt(t, fd, A::sol_socket, A::so_domain, &a.so_domain);
    return a;
}

// socketpair() in the model: kernel::socketpair(t, family, type, protocol, sv)
// is being added on another branch. Until it is merged this reports the call
// as not modelled; when it is, replace the body with the commented lines.
template <class K>
std::optional<std::string> model_socketpair(K& k, sockmodel::task_struct& t, int family, int type, int protocol,
                                            int (&sv)[2], int& ret)
{
    ret = k.socketpair(t, family, type, protocol, sv);
    return std::nullopt;
}

}  // namespace detail

// ---------------------------------------------------------------------------
// -- PROGRAM, kept across calls: one model kernel per traced descriptor table

// A namespace of the traced task as the tool sees it: its inode (identity)
// and, for a user namespace, the owner's ids (NS_GET_OWNER_UID).
struct ns_link {
    unsigned long long ino = 0;
    sockmodel::kuid_t owner_uid = 0;
    sockmodel::kgid_t owner_gid = 0;
};

// Where the task stands relative to the namespaces the tool runs in.
struct ns_view {
    // The tool's own user namespace is not the initial one (the tool runs in
    // a rootless container): modelled as a child of init_user_ns.
    bool tool_in_child_userns = false;
    ns_link tool_user;
    // The task's user namespace: the chain of user namespaces from the one
    // below the tool's down to the task's (empty: the tool's own).
    std::vector<ns_link> task_user_chain;
    // The task's network namespace and its owner: init_net itself; another
    // netns owned by init_user_ns or a user namespace above the tool's (no
    // task the tool sees holds a capability there, so it is modelled as
    // owned by init_user_ns); or one owned by the tool's user namespace or
    // one below it (net_owner_chain, as task_user_chain).
    unsigned long long net_ino = 0;
    enum class owner { init_net, ancestor, chain } net_owner = owner::init_net;
    std::vector<ns_link> net_owner_chain;
};

// What one call needs of the traced task besides its table.
struct call_view {
    sockmodel::cred cred;             // ids and CapEff as /proc/PID/status shows them to the tool
    unsigned long nofile_cur = 0, nofile_max = 0;
    ns_view ns;
    sockmodel::net_sysctl sysctl;     // of the task's network namespace
    // The machine's files (fs/file_table.c), -1 where unknown (the model's
    // own count and limit then): files in use (/proc/sys/fs/file-nr's
    // first field, get_nr_files), fs.file-max, and AF_UNIX sockets
    // (unix_nr_socks, which unix_create1 checks against 2 * file-max).
    long nr_files = -1, max_files = -1, unix_socks = -1;
};

// A model kernel whose one task's descriptor table mirrors a traced table:
// fds are opened (placeholder AF_UNIX sockets) and closed as the tracer
// learns of them, so a call costs the same whatever the number of open fds.
// Credentials, limits, namespaces and sysctls are set from the call_view
// before each call; model namespaces are made once per real one (by inode).
// Traced: the calls' events are recorded (for the tree and JSON events);
// untraced (--quiet) the model runs its fast path.
template <class A>
using quiet_config = sockmodel::config<sockmodel::opt::abi<A>, families::option, sockmodel::opt::runtime_lsm<true>>;

// A rule of a --what-if rules=FILE: socket() of a matching call is denied by
// a run-time LSM hook (security_socket_create) with `err`. Empty: any.
struct deny_rule {
    std::optional<sockmodel::kuid_t> uid;  // the caller's euid
    std::optional<int> family, type, protocol;  // type without its flags
    int err = -EACCES;
    std::string text;  // the rule's line, for the reason
};

// A change of the model kernel for one call (--what-if, --needs): families
// taken out of net_families (sock_unregister, put back after), deny rules
// run by a run-time LSM hook. The call's new fds are closed after it.
struct model_tweak {
    std::vector<int> unregister;
    std::vector<deny_rule> rules;
};

template <class A, bool Traced = true>
class table_model {
public:
    using K = sockmodel::kernel<std::conditional_t<Traced, traced_config<A>, quiet_config<A>>>;

    table_model() : k_(std::make_unique<K>()), t_(&k_->spawn(sockmodel::cred::root())) {}

    bool is_open(int fd) { return k_->fcntl(*t_, fd, sockmodel::f_getfd) >= 0; }

    // Opens a placeholder on exactly `fd` (a no-op if open): the model hands
    // out the lowest free fd, so lower free ones are filled and closed again.
    bool open_at(int fd)
    {
        if (fd < 0 || is_open(fd))
            return true;
        as_root();
        if (!widen(static_cast<unsigned long>(fd) + 1))
            return false;
        std::vector<int> fillers;
        bool ok = false;
        for (;;) {
            const int got = k_->socket(*t_, sockmodel::af_unix, A::sock_stream, 0);
            if (got < 0 || got > fd)
                break;
            if (got == fd) {
                ok = true;
                break;
            }
            fillers.push_back(got);
        }
        for (int f : fillers)
            k_->close(*t_, f);
        clear_events();
        return ok;
    }

    void close(int fd)
    {
        if (is_open(fd))
            k_->close(*t_, fd);
        clear_events();
    }

    // socket()/socketpair() as the task makes it; the new fds stay open in
    // the model until the caller reconciles the table with the kernel's.
    // With a tweak, the call is one of its own: its new fds are closed and
    // the kernel is put back as it was afterwards.
    task_call_result call(const call_view& v, bool pair, int family, int type, int protocol,
                          const model_tweak* tweak = nullptr)
    {
        namespace sm = sockmodel;
        task_call_result r;
        as_root();
        std::vector<const sm::net_proto_family*> taken;
        std::optional<sm::lsm::socket_create_hook> hook;
        if (tweak) {
            for (int f : tweak->unregister)
                if (f >= 0 && f < A::nproto)
                    if (const sm::net_proto_family* ops = k_->net_families.get(f)) {
                        taken.push_back(ops);
                        k_->sock_unregister(f);
                    }
            if (!tweak->rules.empty()) {
                hook.emplace("what-if rules", [rules = &tweak->rules](const sm::cred& c, int f, int t, int p, int) {
                    for (const deny_rule& d : *rules)
                        if ((!d.uid || *d.uid == c.euid) && (!d.family || *d.family == f) &&
                            (!d.type || *d.type == t) && (!d.protocol || *d.protocol == p))
                            return d.err;
                    return 0;
                });
                k_->security_hooks.add(*hook);
            }
        }
        r = call_as(v, pair, family, type, protocol);
        if (tweak) {
            as_root();
            for (const fd_attrs& f : r.fds)
                k_->close(*t_, f.fd);
            if (hook)
                k_->security_hooks.remove(*hook);
            for (const sm::net_proto_family* ops : taken)
                k_->sock_register(ops);
            clear_events();
        }
        return r;
    }

    // Whether `family` is registered in the model kernel (for --needs).
    bool registered(int family) const { return family >= 0 && family < A::nproto && k_->net_families.get(family); }

private:
    task_call_result call_as(const call_view& v, bool pair, int family, int type, int protocol)
    {
        namespace sm = sockmodel;
        task_call_result r;
        std::string why;
        const sm::user_namespace* user = user_ns_of(v.ns, why);
        sm::net* net = user ? net_of(v.ns, why) : nullptr;
        if (!user || !net) {
            r.not_modelled = why;
            return r;
        }
        const sm::resource_limit lim{v.nofile_cur, v.nofile_max};
        if (int err = k_->setrlimit(*t_, A::rlimit_nofile, &lim)) {
            r.not_modelled = "model setup: setrlimit(RLIMIT_NOFILE) returned " + strace_result(err);
            return r;
        }
        if (v.max_files >= 0 && v.nr_files < 0) {
            r.not_modelled = "the files in use on this machine (/proc/sys/fs/file-nr) could not be read";
            return r;
        }
        net->sysctl = v.sysctl;
        t_->net_ns = net;
        t_->cred = v.cred;
        t_->cred.user_ns = user;
        const machine_files files(*k_, v);
        clear_events();
        if (pair) {
            int sv[2] = {-1, -1};
            if (auto w = detail::model_socketpair(*k_, *t_, family, type, protocol, sv, r.ret)) {
                r.not_modelled = std::move(*w);
                return r;
            }
            if (r.ret == 0)
                for (int fd : sv)
                    r.fds.push_back(detail::model_fd_attrs(*k_, *t_, fd));
        } else {
            r.ret = k_->socket(*t_, family, type, protocol);
            if (r.ret >= 0)
                r.fds.push_back(detail::model_fd_attrs(*k_, *t_, r.ret));
        }
        if constexpr (Traced) {
            r.events = std::move(k_->tracer.events);
            k_->tracer.clear();
        }
        return r;
    }

    // The machine's file counts for one call: the model's nr_files and
    // unix_nr_socks moved to the host's (by the difference to what the
    // model holds: its placeholders stand for the task's fds), fs.file-max
    // set; all put back afterwards, the call's own new files kept.
    class machine_files {
    public:
        machine_files(K& k, const call_view& v) : k_(k), old_max_(k.files.max_files())
        {
            if (v.max_files >= 0)
                k_.files.set_max_files(v.max_files);
            if (v.nr_files >= 0) {
                files_bias_ = v.nr_files - k_.smp.nr_files_sum();
                k_.smp.nr_files_add(nullptr, files_bias_);  // lock::none: one count, no CPU
            }
            if (v.unix_socks >= 0) {
                long& n = unix_socks();
                unix_bias_ = v.unix_socks - n;
                n += unix_bias_;
            }
        }
        ~machine_files()
        {
            k_.smp.nr_files_add(nullptr, -files_bias_);
            unix_socks() -= unix_bias_;
            k_.files.set_max_files(old_max_);
        }
        machine_files(const machine_files&) = delete;
        machine_files& operator=(const machine_files&) = delete;

    private:
        long& unix_socks() { return k_.template family_state<sockmodel::unix_family>().unix_nr_socks.counter; }
        K& k_;
        long old_max_;
        long files_bias_ = 0, unix_bias_ = 0;
    };

    void clear_events()
    {
        if constexpr (Traced)
            k_->tracer.clear();
    }

    void as_root()
    {
        t_->cred = sockmodel::cred::root();
        t_->net_ns = &k_->init_net;
    }

    bool widen(unsigned long need)
    {
        sockmodel::resource_limit cur{};
        k_->getrlimit(*t_, A::rlimit_nofile, &cur);
        if (cur.rlim_cur >= need)
            return true;
        const sockmodel::resource_limit wide{need, std::max(need, cur.rlim_max)};
        return k_->setrlimit(*t_, A::rlimit_nofile, &wide) == 0;
    }

    // A helper task that makes a namespace: a new process of `owner` ids with
    // every capability in `parent`, then unshare.
    sockmodel::task_struct& helper(const sockmodel::user_namespace* parent, const ns_link& owner)
    {
        sockmodel::cred c = sockmodel::cred::root();
        c.uid = c.euid = c.suid = c.fsuid = owner.owner_uid;
        c.gid = c.egid = c.sgid = c.fsgid = owner.owner_gid;
        c.user_ns = parent;
        return k_->spawn(c);
    }

    const sockmodel::user_namespace* child_of(const sockmodel::user_namespace* parent, const ns_link& l,
                                              std::string& why)
    {
        if (const auto it = users_.find(l.ino); it != users_.end())
            return it->second;
        sockmodel::task_struct& h = helper(parent, l);
        if (int err = k_->unshare(h, sockmodel::clone_flag::newuser)) {
            why = "model setup: unshare(CLONE_NEWUSER) returned " + strace_result(err);
            return nullptr;
        }
        users_[l.ino] = h.cred.user_ns;
        return h.cred.user_ns;
    }

    const sockmodel::user_namespace* tool_user(const ns_view& v, std::string& why)
    {
        if (!v.tool_in_child_userns)
            return &sockmodel::init_user_ns;
        return child_of(&sockmodel::init_user_ns, v.tool_user, why);
    }

    const sockmodel::user_namespace* chain(const ns_view& v, const std::vector<ns_link>& links, std::string& why)
    {
        const sockmodel::user_namespace* ns = tool_user(v, why);
        for (const ns_link& l : links) {
            if (!ns)
                return nullptr;
            ns = child_of(ns, l, why);
        }
        return ns;
    }

    const sockmodel::user_namespace* user_ns_of(const ns_view& v, std::string& why)
    {
        return chain(v, v.task_user_chain, why);
    }

    sockmodel::net* net_of(const ns_view& v, std::string& why)
    {
        if (v.net_owner == ns_view::owner::init_net)
            return &k_->init_net;
        if (const auto it = nets_.find(v.net_ino); it != nets_.end())
            return it->second;
        const sockmodel::user_namespace* owner =
            v.net_owner == ns_view::owner::ancestor ? &sockmodel::init_user_ns : chain(v, v.net_owner_chain, why);
        if (!owner)
            return nullptr;
        sockmodel::task_struct& h = helper(owner, ns_link{});
        if (int err = k_->unshare(h, sockmodel::clone_flag::newnet)) {
            why = "model setup: unshare(CLONE_NEWNET) returned " + strace_result(err);
            return nullptr;
        }
        nets_[v.net_ino] = h.net_ns;
        return h.net_ns;
    }

    std::unique_ptr<K> k_;
    sockmodel::task_struct* t_;
    std::map<unsigned long long, const sockmodel::user_namespace*> users_;
    std::map<unsigned long long, sockmodel::net*> nets_;
};

}  // namespace sockmodel_trace

// The tool's kernels, compiled once in the files under kernels/
// (the compiled mode of docs/building.md, per configuration): main.cpp and
// models.cpp, which both run them, compile none of their members, and the
// kernels compile in parallel. One traced kernel per ABI the tool models
// (abi.hpp's tool_abis) and the untraced host kernel of --quiet.
#if defined(SOCKMODEL_TRACE_HOST_ABI_ONLY) && SOCKMODEL_TRACE_HOST_ABI_ONLY
extern template class sockmodel::kernel<sockmodel_trace::traced_config<sockmodel::arch::host>>;
#else
extern template class sockmodel::kernel<sockmodel_trace::traced_config<sockmodel::arch::generic>>;
extern template class sockmodel::kernel<sockmodel_trace::traced_config<sockmodel::arch::mips>>;
extern template class sockmodel::kernel<sockmodel_trace::traced_config<sockmodel::arch::alpha>>;
extern template class sockmodel::kernel<sockmodel_trace::traced_config<sockmodel::arch::parisc>>;
extern template class sockmodel::kernel<sockmodel_trace::traced_config<sockmodel::arch::sparc>>;
#endif
extern template class sockmodel::kernel<sockmodel_trace::quiet_config<sockmodel::arch::host>>;
