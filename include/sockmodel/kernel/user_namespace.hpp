// kernel/user_namespace.c and kernel/ucount.c: creating a user namespace
// (create_user_ns, with inc_user_namespaces' per-user limit), writing its
// /proc/PID/uid_map, gid_map and setgroups (map_write, new_idmap_permitted,
// verify_root_map, proc_setgroups_write) and user.max_user_namespaces.
// The struct and the id translation are linux/user_namespace.hpp's.
#pragma once

#include <sockmodel/kernel/context.hpp>
#include <sockmodel/kernel/cred.hpp>
#include <sockmodel/linux/err.hpp>
#include <sockmodel/linux/user_namespace.hpp>
#include <sockmodel/lock/spinlock.hpp>
#include <sockmodel/uapi/errno.hpp>

#include <cctype>
#include <climits>
#include <cstdint>
#include <list>
#include <string_view>
#include <utility>
#include <vector>

namespace sockmodel {

// The user namespaces a kernel created, and the ucounts of
// UCOUNT_USER_NAMESPACES: per (namespace, uid) how many namespaces that uid
// created below it. The model never frees a namespace, so a count drops only
// when create_user_ns fails after taking it.
struct user_ns_lists {
    std::list<user_namespace> user_namespaces;  // stable addresses: creds and nets point at them
    unsigned long next_user_ns_id = 1;
    // init_user_ns's ucount_max[UCOUNT_USER_NAMESPACES]: max_threads / 2 in
    // the kernel (a machine's value); set it to the host's to compare.
    int max_user_namespaces = INT_MAX;
    // The ucounts (kernel/ucount.c): per (namespace, uid), how many user
    // namespaces that uid created there; find_ucounts searches the table,
    // alloc_ucounts adds an entry. Few entries, so a plain array.
    struct ucounts {
        unsigned long ns_id;
        kuid_t uid;
        long user_namespaces;
    };
    std::vector<ucounts> ucounts_table;
    long& ucount_user_namespaces(unsigned long ns_id, kuid_t uid)
    {
        for (ucounts& u : ucounts_table)
            if (u.ns_id == ns_id && u.uid == uid)
                return u.user_namespaces;
        ucounts_table.push_back({ns_id, uid, 0});
        return ucounts_table.back().user_namespaces;
    }
    mutex userns_state_mutex;

    // The namespace as this kernel keeps it (creds hold it const), or
    // nullptr for one it did not create.
    user_namespace* writable(const user_namespace& ns)
    {
        for (user_namespace& u : user_namespaces)
            if (same_user_ns(u, ns))
                return &u;
        return nullptr;
    }
    int max_of(const user_namespace& ns) const { return ns.level == 0 ? max_user_namespaces : ns.max_user_namespaces; }
};

template <class K>
user_namespace& owned_user_ns(context<K>& cx, const user_namespace& ns)
{
    user_namespace* u = cx.k.namespaces.users.writable(ns);
    if (!u)
        kernel_bug<K>("a user namespace another kernel object created (each kernel keeps its own)");
    return *u;
}

// inc_user_namespaces → inc_ucount: one more namespace of `uid` under `ns`,
// counted at every level up to init_user_ns (each namespace's creator is
// counted in its parent), each below that level's max; -ENOSPC otherwise.
template <class K>
bool inc_user_namespaces(context<K>& cx, const user_namespace& ns, kuid_t uid)
{
    user_ns_lists& l = cx.k.namespaces.users;
    const user_namespace* at = &ns;
    kuid_t who = uid;
    for (; at; who = at->owner, at = at->parent)
        if (l.ucount_user_namespaces(at->ns_id, who) >= l.max_of(*at))
            return false;
    at = &ns;
    who = uid;
    for (; at; who = at->owner, at = at->parent)
        ++l.ucount_user_namespaces(at->ns_id, who);
    return true;
}

// dec_user_namespaces: give one back, at every level.
template <class K>
void dec_user_namespaces(context<K>& cx, const user_namespace& ns, kuid_t uid)
{
    user_ns_lists& l = cx.k.namespaces.users;
    kuid_t who = uid;
    for (const user_namespace* at = &ns; at; who = at->owner, at = at->parent)
        --l.ucount_user_namespaces(at->ns_id, who);
}

// create_user_ns(new): a child of new->user_ns owned by new's euid/egid,
// and new made its creator's credentials inside it (set_cred_user_ns: every
// capability). Refused with -ENOSPC below level 32's children or over the
// ucount limit, -EPERM when the creator's ids have no mapping in the parent
// (user space could not be told who created it). The chroot check
// (current_chrooted) always passes: the model has no mount namespace.
template <class K>
int create_user_ns(context<K>& cx, cred& new_cred)
{
    const user_namespace& parent = *new_cred.user_ns;
    const kuid_t owner = new_cred.euid;
    const kgid_t group = new_cred.egid;
    if (parent.level > user_ns_max_level)
        return -ENOSPC;
    user_ns_lists& l = cx.k.namespaces.users;
    auto userns_state_mutex = guard(cx, l.userns_state_mutex);
    if (!inc_user_namespaces(cx, parent, owner))
        return -ENOSPC;
    if (!kuid_has_mapping(parent, owner) || !kgid_has_mapping(parent, group)) {
        dec_user_namespaces(cx, parent, owner);
        return -EPERM;
    }
    user_namespace& u = l.user_namespaces.emplace_back();
    u.parent = &parent;
    u.level = parent.level + 1;
    u.owner = owner;
    u.group = group;
    u.ns_id = l.next_user_ns_id++;
    u.uid_map = {};
    u.gid_map = {};
    u.flags = parent.flags;
    u.parent_could_setfcap = new_cred.cap_effective.raised(capability::setfcap);
    new_cred.user_ns = &u;
    new_cred.cap_effective = kernel_cap_t::full();
    return 0;
}

enum class id_map_kind { uid, gid };

namespace detail {
// map_write's parser: lines of "first lower_first count", whitespace apart.
// false on anything else (-EINVAL).
inline bool parse_id_map(std::string_view text, uid_gid_map& m)
{
    std::size_t i = 0;
    const auto skip_spaces = [&] {
        while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])) && text[i] != '\n')
            ++i;
    };
    const auto number = [&](std::uint32_t& out) {
        if (i >= text.size() || !std::isdigit(static_cast<unsigned char>(text[i])))
            return false;
        unsigned long long v = 0;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
            v = v * 10 + static_cast<unsigned>(text[i++] - '0');
            if (v > 0xffffffffULL)
                return false;
        }
        out = static_cast<std::uint32_t>(v);
        return true;
    };
    while (i < text.size()) {
        uid_gid_extent e;
        skip_spaces();
        if (!number(e.first))
            return false;
        skip_spaces();
        if (!number(e.lower_first))
            return false;
        skip_spaces();
        if (!number(e.count))
            return false;
        skip_spaces();
        if (i < text.size()) {
            if (text[i] != '\n')
                return false;
            ++i;
        }
        if (e.first == invalid_id || e.lower_first == invalid_id || e.count == 0)
            return false;
        if (std::uint32_t(e.first + e.count) <= e.first || std::uint32_t(e.lower_first + e.count) <= e.lower_first)
            return false;
        for (unsigned j = 0; j < m.nr_extents; ++j) {  // mappings_overlap
            const uid_gid_extent& p = m.extent[j];
            const auto overlap = [](std::uint32_t a, std::uint32_t an, std::uint32_t b, std::uint32_t bn) {
                return a <= b + (bn - 1) && b <= a + (an - 1);
            };
            if (overlap(e.first, e.count, p.first, p.count) ||
                overlap(e.lower_first, e.count, p.lower_first, p.count))
                return false;
        }
        if (m.nr_extents == uid_gid_map::max_extents)
            return false;
        m.extent[m.nr_extents++] = e;
    }
    return m.nr_extents != 0;
}
}  // namespace detail

// new_idmap_permitted: the namespace's owner may map its own euid (or, once
// setgroups is denied, its own egid) as one id; anyone else needs
// CAP_SETUID/CAP_SETGID over the parent namespace. Mapping the parent's
// id 0 needs CAP_SETFCAP too (verify_root_map): held at creation when the
// writer is inside the namespace, over the parent otherwise.
inline bool new_idmap_permitted(const cred& opener, const user_namespace& ns, id_map_kind kind,
                                const uid_gid_map& m)
{
    if (kind == id_map_kind::uid)
        for (unsigned i = 0; i < m.nr_extents; ++i)
            if (m.extent[i].lower_first == 0) {
                if (same_user_ns(*opener.user_ns, ns) ? !ns.parent_could_setfcap
                                                      : !ns_capable(*ns.parent, opener, capability::setfcap))
                    return false;
                break;
            }
    if (m.nr_extents == 1 && m.extent[0].count == 1 && ns.owner == opener.euid) {
        const unsigned id = m.extent[0].lower_first;
        if (kind == id_map_kind::uid && make_kuid(*ns.parent, id) == opener.euid)
            return true;
        if (kind == id_map_kind::gid && !(ns.flags & userns_setgroups_allowed) && make_kgid(*ns.parent, id) == opener.egid)
            return true;
    }
    const capability cap = kind == id_map_kind::uid ? capability::setuid : capability::setgid;
    return ns_capable(*ns.parent, opener, cap);  // (ns_capable and file_ns_capable: one cred here)
}

// map_write: /proc/PID/uid_map or gid_map of `target_ns`, written by current
// (who opened the file) in one write from offset 0. Once per map (-EPERM
// after); the writer needs CAP_SYS_ADMIN over the namespace (-EPERM); the
// text must parse (-EINVAL: format, count 0, overflow, overlap, more than
// 340 extents, nothing); new_idmap_permitted (-EPERM); each lower range must
// be mapped in the parent (-EPERM). Returns the length written.
template <class K>
int map_write(context<K>& cx, const user_namespace* target, id_map_kind kind, std::string_view text)
{
    const user_namespace& target_ns = *target;
    if (text.size() >= 4096)  // count >= PAGE_SIZE
        return -EINVAL;
    if (target_ns.level == 0)
        return -EPERM;  // init_user_ns's maps are written already
    user_ns_lists& l = cx.k.namespaces.users;
    auto userns_state_mutex = guard(cx, l.userns_state_mutex);
    user_namespace& ns = owned_user_ns(cx, target_ns);
    uid_gid_map& map = kind == id_map_kind::uid ? ns.uid_map : ns.gid_map;
    const uid_gid_map& parent_map = kind == id_map_kind::uid ? ns.parent->uid_map : ns.parent->gid_map;
    const cred& opener = cx.current.cred;
    if (map.nr_extents != 0)
        return -EPERM;
    if (!ns_capable(ns, opener, capability::sys_admin))
        return -EPERM;
    uid_gid_map new_map;
    if (!detail::parse_id_map(text, new_map))
        return -EINVAL;
    if (!new_idmap_permitted(opener, ns, kind, new_map))
        return -EPERM;
    for (unsigned i = 0; i < new_map.nr_extents; ++i) {
        uid_gid_extent& e = new_map.extent[i];
        const std::uint32_t lower = parent_map.down(e.lower_first, e.count);
        if (lower == invalid_id)
            return -EPERM;
        e.lower_first = lower;
    }
    map = new_map;
    return static_cast<int>(text.size());
}

// proc_setgroups_write: "allow" or "deny" (-EINVAL otherwise); the writer
// needs CAP_SYS_ADMIN over the namespace (the kernel checks it at open:
// -EPERM); "deny" is refused once gid_map is written, "allow" once denied.
template <class K>
int proc_setgroups_write(context<K>& cx, const user_namespace* target, std::string_view text)
{
    const user_namespace& target_ns = *target;
    if (target_ns.level == 0 || !ns_capable(target_ns, cx.current.cred, capability::sys_admin))
        return -EPERM;
    const int count = static_cast<int>(text.size());
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
        text.remove_suffix(1);
    bool allow = false;
    if (text == "allow")
        allow = true;
    else if (text != "deny")
        return -EINVAL;
    user_ns_lists& l = cx.k.namespaces.users;
    auto userns_state_mutex = guard(cx, l.userns_state_mutex);
    user_namespace& ns = owned_user_ns(cx, target_ns);
    if (allow) {
        if (!(ns.flags & userns_setgroups_allowed))
            return -EPERM;
    } else {
        if (ns.gid_map.nr_extents != 0)
            return -EPERM;
        ns.flags &= ~userns_setgroups_allowed;
    }
    return count;
}

// user.max_user_namespaces written from inside current's user namespace
// (set_permissions: CAP_SYS_RESOURCE over it makes the file writable,
// -EACCES otherwise; proc_doulongvec_minmax: 0..INT_MAX, -EINVAL otherwise).
template <class K>
int sysctl_max_user_namespaces_write(context<K>& cx, long value)
{
    const user_namespace& ns = *cx.current.cred.user_ns;
    if (!ns_capable(ns, cx.current.cred, capability::sys_resource))
        return -EACCES;
    if (value < 0 || value > INT_MAX)
        return -EINVAL;
    user_ns_lists& l = cx.k.namespaces.users;
    if (ns.level == 0)
        l.max_user_namespaces = static_cast<int>(value);
    else
        owned_user_ns(cx, ns).max_user_namespaces = static_cast<int>(value);
    return 0;
}

}  // namespace sockmodel
