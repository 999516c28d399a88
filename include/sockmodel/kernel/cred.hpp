// A task's credentials (include/linux/cred.h) and the capability bits the
// socket path asks about (include/uapi/linux/capability.h).
#pragma once

#include <sockmodel/linux/user_namespace.hpp>

#include <cstdint>
#include <initializer_list>
#include <cstddef>
#include <string_view>

namespace sockmodel {

// Capability numbers as in include/uapi/linux/capability.h, named in lower
// case: that header defines CAP_NET_RAW and the rest as macros.
enum class capability : unsigned {
    setgid = 6,
    setuid = 7,
    net_bind_service = 10,
    net_broadcast = 11,
    net_admin = 12,
    net_raw = 13,
    sys_module = 16,
    sys_admin = 21,
    sys_resource = 24,
    setfcap = 31,
};
inline constexpr unsigned cap_last_cap = 40;

// The enumerators by name, as they are spelled above (CAP_NET_RAW is
// "net_raw"): one table for whatever prints or parses them.
struct capability_name {
    std::string_view name;
    capability cap;
};
inline constexpr capability_name capability_names[] = {
    {"setgid", capability::setgid},
    {"setuid", capability::setuid},
    {"net_bind_service", capability::net_bind_service},
    {"net_broadcast", capability::net_broadcast},
    {"net_admin", capability::net_admin},
    {"net_raw", capability::net_raw},
    {"sys_module", capability::sys_module},
    {"sys_admin", capability::sys_admin},
    {"sys_resource", capability::sys_resource},
    {"setfcap", capability::setfcap},
};

struct kernel_cap_t {
    std::uint64_t val = 0;

    static constexpr kernel_cap_t full() { return {(std::uint64_t{1} << (cap_last_cap + 1)) - 1}; }
    static constexpr kernel_cap_t empty() { return {}; }
    constexpr bool raised(capability c) const { return (val >> static_cast<unsigned>(c)) & 1U; }
    constexpr kernel_cap_t& raise(capability c) { val |= std::uint64_t{1} << static_cast<unsigned>(c); return *this; }
    constexpr kernel_cap_t& lower(capability c) { val &= ~(std::uint64_t{1} << static_cast<unsigned>(c)); return *this; }
    friend constexpr bool operator==(kernel_cap_t, kernel_cap_t) = default;
};

// A cred's supplementary groups (struct group_info, include/linux/cred.h):
// a counted array of kgid_t, sorted by groups_sort() when set from user
// space. Its own small array rather than a std::vector, so a cred stays a
// literal type with every standard library (libc++ 14's vector cannot be
// used in a constant expression): verdicts with groups are constexpr.
class group_info {
public:
    constexpr group_info() = default;
    constexpr group_info(std::initializer_list<kgid_t> groups) { assign(groups.begin(), groups.end()); }
    constexpr group_info(const group_info& o) { assign(o.begin(), o.end()); }
    constexpr group_info(group_info&& o) noexcept : gid_(o.gid_), ngroups_(o.ngroups_), cap_(o.cap_)
    {
        o.gid_ = nullptr;
        o.ngroups_ = o.cap_ = 0;
    }
    constexpr group_info& operator=(const group_info& o)
    {
        if (this != &o)
            assign(o.begin(), o.end());
        return *this;
    }
    constexpr group_info& operator=(group_info&& o) noexcept
    {
        if (this != &o) {
            delete[] gid_;
            gid_ = o.gid_;
            ngroups_ = o.ngroups_;
            cap_ = o.cap_;
            o.gid_ = nullptr;
            o.ngroups_ = o.cap_ = 0;
        }
        return *this;
    }
    constexpr ~group_info() { delete[] gid_; }

    template <class It>
    constexpr void assign(It first, It last)
    {
        clear();
        for (; first != last; ++first)
            push_back(static_cast<kgid_t>(*first));
    }
    constexpr void assign(std::initializer_list<kgid_t> groups) { assign(groups.begin(), groups.end()); }
    constexpr void push_back(kgid_t g)
    {
        if (ngroups_ == cap_) {
            const std::size_t cap = cap_ ? 2 * cap_ : 4;
            kgid_t* grown = new kgid_t[cap]{};
            for (std::size_t i = 0; i < ngroups_; ++i)
                grown[i] = gid_[i];
            delete[] gid_;
            gid_ = grown;
            cap_ = cap;
        }
        gid_[ngroups_++] = g;
    }
    constexpr void clear() { ngroups_ = 0; }

    constexpr kgid_t* begin() { return gid_; }
    constexpr kgid_t* end() { return gid_ + ngroups_; }
    constexpr const kgid_t* begin() const { return gid_; }
    constexpr const kgid_t* end() const { return gid_ + ngroups_; }
    constexpr std::size_t size() const { return ngroups_; }
    constexpr bool empty() const { return ngroups_ == 0; }
    constexpr kgid_t operator[](std::size_t i) const { return gid_[i]; }

    friend constexpr bool operator==(const group_info& a, const group_info& b)
    {
        if (a.ngroups_ != b.ngroups_)
            return false;
        for (std::size_t i = 0; i < a.ngroups_; ++i)
            if (a.gid_[i] != b.gid_[i])
                return false;
        return true;
    }

private:
    kgid_t* gid_ = nullptr;
    std::size_t ngroups_ = 0;
    std::size_t cap_ = 0;
};

struct cred {
    kuid_t uid = 0, euid = 0, suid = 0, fsuid = 0;
    kgid_t gid = 0, egid = 0, sgid = 0, fsgid = 0;
    class group_info group_info;  // supplementary groups
    kernel_cap_t cap_effective = kernel_cap_t::full();
    // The user namespace the capabilities are held in (cred->user_ns); never
    // NULL, init_user_ns unless unshare(CLONE_NEWUSER) changed it.
    const user_namespace* user_ns = &init_user_ns;

    // The superuser of the initial user namespace, as init runs.
    static constexpr cred root() { return {}; }

    // A process after setgroups(0), setgid(id), setuid(id): every id is `id`,
    // no supplementary groups, and the kernel clears every capability.
    static constexpr cred user(kuid_t id = 65534, kgid_t gid_ = 65534)
    {
        cred c;
        c.uid = c.euid = c.suid = c.fsuid = id;
        c.gid = c.egid = c.sgid = c.fsgid = gid_;
        c.cap_effective = kernel_cap_t::empty();
        return c;
    }

    constexpr cred& with_groups(std::initializer_list<kgid_t> groups)
    {
        group_info.assign(groups);
        return *this;
    }
    constexpr cred& with_caps(kernel_cap_t caps)
    {
        cap_effective = caps;
        return *this;
    }
};

// cap_capable (security/commoncap.c), the capability LSM's answer to "does
// this cred hold `cap` over user namespace `target_ns`": walk from target_ns
// up towards the root. In the cred's own namespace the answer is its
// effective set; a namespace whose parent is the cred's namespace and whose
// owner is the cred's euid grants every capability (its creator is root over
// it); once the walk is at or above the cred's level, the answer is no.
constexpr bool cap_capable(const cred& c, const user_namespace& target_ns, capability cap)
{
    const user_namespace* ns = &target_ns;
    for (;;) {
        if (same_user_ns(*ns, *c.user_ns))
            return c.cap_effective.raised(cap);
        if (ns->level <= c.user_ns->level)
            return false;
        // level > 0 here, so ns has a parent.
        if (same_user_ns(*ns->parent, *c.user_ns) && ns->owner == c.euid)
            return true;
        ns = ns->parent;
    }
}

// ns_capable(ns, cap) (kernel/capability.c) for the credentials `c` (the
// kernel reads current's): security_capable, where only commoncap decides.
constexpr bool ns_capable(const user_namespace& ns, const cred& c, capability cap) { return cap_capable(c, ns, cap); }

// capable(cap): ns_capable over the initial user namespace.
constexpr bool capable(const cred& c, capability cap) { return ns_capable(init_user_ns, c, cap); }

// in_group_p() (kernel/groups.c) checks fsgid; ping_init_sock uses egid and the
// supplementary list, which this answers.
inline bool in_supplementary_groups(const cred& c, kgid_t low, kgid_t high)
{
    for (kgid_t g : c.group_info)
        if (g >= low && g <= high)
            return true;
    return false;
}

}  // namespace sockmodel
